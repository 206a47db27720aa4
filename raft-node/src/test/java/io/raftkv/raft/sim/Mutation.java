package io.raftkv.raft.sim;

import io.raftkv.raft.core.RaftConfig;

/**
 * A deliberate bug a simulation can run with, so {@link SafetyCheckerMutationTest} can show the safety checker
 * catches it: in the core, the disk, or the runtime's own code (its driver is built with the bug). Runs use
 * {@link #NONE}.
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
    LYING_FSYNC,
    /** The runtime reports a proposal applied as soon as the leader appends it, before it is even persisted. */
    ACK_PROPOSAL_BEFORE_PERSIST(true),
    /** The runtime hands committed entries to the state machine before the snapshot that precedes them. */
    APPLY_BEFORE_SNAPSHOT(true),
    /** The runtime sends a follower's append responses (and votes) before its fsync. */
    RESPOND_BEFORE_FSYNC(true),
    /** The runtime writes a changed term or vote without an fsync, so a power loss forgets a vote. */
    UNSYNCED_HARD_STATE(true),
    /** A leader proposes a membership change while the previous one is still uncommitted. */
    CONCURRENT_MEMBERSHIP_CHANGES,
    /** A leader proposes a membership change before it has committed an entry of its own term. */
    MEMBERSHIP_CHANGE_BEFORE_TERM_COMMIT;

    private final boolean inRuntime;

    Mutation() {
        this(false);
    }

    Mutation(boolean inRuntime) {
        this.inRuntime = inRuntime;
    }

    /** The membership-change rule the core's leader skips under this mutation. */
    RaftConfig.SkippedMembershipRule skippedMembershipRule() {
        return switch (this) {
            case CONCURRENT_MEMBERSHIP_CHANGES -> RaftConfig.SkippedMembershipRule.ONE_CHANGE_AT_A_TIME;
            case MEMBERSHIP_CHANGE_BEFORE_TERM_COMMIT -> RaftConfig.SkippedMembershipRule.COMMIT_IN_TERM_FIRST;
            default -> RaftConfig.SkippedMembershipRule.NONE;
        };
    }

    /** The name of the runtime driver's planted defect this mutation is ("NONE" for a bug planted elsewhere). */
    String driverDefect() {
        return inRuntime ? name() : "NONE";
    }
}
