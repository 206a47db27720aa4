package io.raftkv.raft.sim;

/**
 * A deliberate bug a simulation can run with, so {@link SafetyCheckerMutationTest} can show the safety checker
 * catches it. Runs use {@link #NONE}.
 */
public enum Mutation {
    NONE,
    /** A restarting node drops the vote it persisted, so it may vote twice in one term. */
    FORGET_VOTE_ON_RESTART,
    /** A leader commits entries of earlier terms by counting replicas (what Figure 8 forbids). */
    COMMIT_OLDER_TERMS,
    /**
     * A node's fsync returns before its write is durable (a disk that lies), so the runtime acknowledges writes a
     * crash then loses.
     */
    ACK_BEFORE_PERSIST
}
