package io.raftkv.kv.server.sim;

import java.util.function.Consumer;

/** One clerk operation in flight: scenarios wait for it in virtual time, client actors chain their next step on it. */
final class ClerkCall {
    private Outcome outcome;
    private Consumer<Outcome> next;

    boolean done() {
        return outcome != null;
    }

    /** The outcome; only once {@link #done()}. */
    Outcome outcome() {
        if (outcome == null) {
            throw new IllegalStateException("the operation has not finished");
        }
        return outcome;
    }

    /** Runs {@code step} with the outcome when it is known (at once if it already is). */
    void then(Consumer<Outcome> step) {
        if (next != null) {
            throw new IllegalStateException("an operation has one continuation");
        }
        next = step;
        if (outcome != null) {
            step.accept(outcome);
        }
    }

    void complete(Outcome result) {
        if (outcome != null) {
            throw new IllegalStateException("the operation already finished with " + outcome);
        }
        outcome = result;
        if (next != null) {
            next.accept(result);
        }
    }
}
