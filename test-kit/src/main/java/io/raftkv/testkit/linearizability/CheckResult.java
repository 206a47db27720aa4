package io.raftkv.testkit.linearizability;

import java.time.Duration;

/**
 * The verdict on a history. {@code explanation} is empty when linearizable; for a violation it names the partition
 * (key) and the operations involved; for UNKNOWN it says the time budget ran out.
 */
public record CheckResult(Verdict verdict, String explanation, int operations, int partitions, Duration elapsed) {

    public enum Verdict {
        /** Some order of the operations, consistent with real time, satisfies the model. */
        LINEARIZABLE,
        /** No such order exists. */
        NOT_LINEARIZABLE,
        /** The time budget ran out before the search finished. */
        UNKNOWN
    }

    public boolean isLinearizable() {
        return verdict == Verdict.LINEARIZABLE;
    }

    @Override
    public String toString() {
        String head = verdict + " (" + operations + " operations in " + partitions + " partitions, checked in "
                + elapsed.toMillis() + " ms)";
        return explanation.isEmpty() ? head : head + "\n" + explanation;
    }
}
