package io.raftkv.testkit.linearizability;

import java.util.Objects;

/**
 * One operation of a recorded history: who ran it, what it asked and answered, and when it was invoked and returned
 * (any monotonic clock, e.g. {@link System#nanoTime()}).
 *
 * <p>An operation whose outcome is unknown (it timed out, or the client gave up) may or may not have taken effect: its
 * output is null and its return time is {@link #NEVER}, so it may be linearized at any point after its call.
 */
public record Operation<I, O>(long clientId, I input, O output, long callTime, long returnTime) {

    /** The return time of an operation whose outcome is unknown. */
    public static final long NEVER = Long.MAX_VALUE;

    public Operation {
        Objects.requireNonNull(input, "input");
        if (returnTime < callTime) {
            throw new IllegalArgumentException("operation returns (" + returnTime + ") before its call (" + callTime
                    + "): " + input);
        }
        if (returnTime == NEVER && output != null) {
            throw new IllegalArgumentException("an operation with unknown outcome has no output: " + input);
        }
        if (returnTime != NEVER && output == null) {
            throw new IllegalArgumentException("a completed operation needs an output: " + input);
        }
    }

    /** A completed operation. */
    public static <I, O> Operation<I, O> completed(long clientId, I input, O output, long callTime, long returnTime) {
        return new Operation<>(clientId, input, Objects.requireNonNull(output, "output"), callTime, returnTime);
    }

    /** An operation whose outcome is unknown: it may have taken effect at any time after {@code callTime}. */
    public static <I, O> Operation<I, O> unknown(long clientId, I input, long callTime) {
        return new Operation<>(clientId, input, null, callTime, NEVER);
    }

    public boolean outcomeKnown() {
        return returnTime != NEVER;
    }
}
