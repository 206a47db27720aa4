package io.raftkv.raft.api;

/**
 * The leader refused a membership change, and the message says why: a change is already in flight, the leader has not
 * committed an entry of its term yet, the learner lags too far behind to be promoted, or the change does not fit the
 * membership (an unknown node, a member added twice, the last voter removed). Nothing was appended.
 */
public final class MembershipChangeRefusedException extends RuntimeException {
    public MembershipChangeRefusedException(String reason) {
        super(reason, null, false, false);
    }
}
