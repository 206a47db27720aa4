package io.raftkv.testkit.linearizability;

/**
 * A sequential specification that recorded histories are checked against: an initial state and a step function.
 *
 * <p>States must be immutable values with {@code equals} and {@code hashCode} (the checker memoizes the states it has
 * seen) and never null.
 *
 * @param <S> the state
 * @param <I> an operation's input (what was asked)
 * @param <O> an operation's output (what was answered)
 */
public interface Model<S, I, O> {

    /** The state before any operation. */
    S init();

    /**
     * The state after {@code input} ran in {@code state} and answered {@code output}, or null if {@code output} is
     * impossible from {@code state}. {@code output} is null for an operation whose outcome is unknown (it timed out):
     * any answer is then acceptable, only its effect on the state counts.
     */
    S step(S state, I input, O output);

    /**
     * Whether {@code input} never changes the state. An operation like that whose outcome is unknown cannot constrain
     * anything, so the checker leaves it out.
     */
    default boolean isReadOnly(I input) {
        return false;
    }

    /**
     * Operations with different partition keys touch independent state (different keys of a map), so each partition
     * is checked on its own: far faster, and the same verdict. Null (the default): one partition.
     */
    default Object partitionKey(I input) {
        return null;
    }

    /** One line describing an operation, e.g. {@code get("k") -> "v"}; {@code output} is null when unknown. */
    default String describe(I input, O output) {
        return input + (output == null ? " -> ?" : " -> " + output);
    }

    /** One line describing a state. */
    default String describeState(S state) {
        return String.valueOf(state);
    }
}
