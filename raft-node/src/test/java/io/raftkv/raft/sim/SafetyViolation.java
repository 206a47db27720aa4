package io.raftkv.raft.sim;

/** A Raft safety property does not hold: the run found a bug (or a broken test state machine). */
public final class SafetyViolation extends AssertionError {
    public SafetyViolation(String message) {
        super(message);
    }
}
