package io.raftkv.raft.core;

import io.raftkv.proto.raft.ConfChange;
import io.raftkv.proto.raft.ConfChangeType;

/**
 * When a leader may propose a membership change. Changes are single-server (one voter added or removed at a time, so
 * any majority of the old voters overlaps any majority of the new), which is safe only with the rules here: one change
 * in flight at a time, and none before the leader has committed an entry of its own term. Without the second, a change
 * of an earlier leader that the new one does not know of could be in flight beside its own (the bug in the
 * dissertation's single-server algorithm, raft-dev, 2015).
 */
final class MembershipChangeRules {
    private MembershipChangeRules() {
    }

    /** Why the leader of {@code term} must not propose {@code change} now, or null if it may. */
    static String refusal(ConfChange change, RaftLog log, ProgressTracker tracker, long term, RaftConfig config) {
        RaftConfig.SkippedMembershipRule skipped = config.unsafeSkippedMembershipRuleForTesting();
        if (!log.hasCommittedInTerm(term) && skipped != RaftConfig.SkippedMembershipRule.COMMIT_IN_TERM_FIRST) {
            return "the leader has not committed an entry of its term yet";
        }
        if (log.lastMembershipChangeIndex() > log.committed()
                && skipped != RaftConfig.SkippedMembershipRule.ONE_CHANGE_AT_A_TIME) {
            return "the membership change at index " + log.lastMembershipChangeIndex() + " is not committed yet";
        }
        String misfit = tracker.membership().refusal(change);
        if (misfit != null) {
            return misfit;
        }
        if (change.getType() == ConfChangeType.CONF_PROMOTE_LEARNER) {
            long lag = log.lastIndex() - tracker.get(change.getNode()).match;
            if (lag > config.maxPromotionLag()) {
                return change.getNode() + " is " + lag + " entries behind the leader; a learner is promoted within "
                        + config.maxPromotionLag();
            }
        }
        return null;
    }
}
