package io.raftkv.raft.core;

import java.util.List;
import java.util.Objects;
import java.util.TreeSet;

/**
 * How one Raft node behaves. Build it with {@link #builder(String, List)}; the defaults suit a cluster on a LAN with a
 * 100 ms tick (heartbeat every tick, elections after 10 to 19 ticks, learners promoted within 1,000 entries).
 *
 * @param id this node's id, one of {@code voters} (unless {@code joining})
 * @param voters the group's voting members when it starts, this node included (unless {@code joining}); once the node
 *     has a log, the membership its log and snapshot record is used instead
 * @param electionTicks ticks a follower waits without hearing from a leader before it campaigns; the actual timeout is
 *     drawn at random from {@code [electionTicks, 2 * electionTicks)} each time it is reset. It is also the leader
 *     lease (CheckQuorum) and the time limit of a leadership transfer.
 * @param heartbeatTicks ticks between the leader's heartbeats; must be smaller than {@code electionTicks}
 * @param maxBytesPerAppend upper bound on the entry bytes of one append message (one entry is always allowed)
 * @param maxEntriesPerAppend upper bound on the number of entries of one append message
 * @param maxInflightAppends how many append messages the leader keeps in flight to one follower (pipelining)
 * @param maxCommittedBytesPerReady upper bound on the entry bytes handed out for applying in one {@link Ready}
 * @param preVote campaign only after a pre-vote round shows a majority would vote (a node that was cut off does not
 *     bump the term of a healthy cluster)
 * @param checkQuorum a leader that has not heard from a quorum within an election timeout steps down, and followers
 *     that heard from a leader within an election timeout ignore vote requests (the leader lease)
 * @param maxPromotionLag a learner is promoted to voter only while its log is at most this many entries behind the
 *     leader's (a voter that joins far behind would leave the group one failure from unavailable while it catches up)
 * @param applied the index of the last entry the state machine has applied (0 on a fresh node): committed entries are
 *     handed out from the one after it
 * @param joining this node is not a member yet: it starts with {@code voters} as the group's membership, without
 *     itself, and waits (never campaigning) for the leader to add it as a learner
 * @param unsafeCommitOlderTermsForTesting UNSAFE, tests only (default false): a leader commits entries of earlier
 *     terms by counting replicas, which Figure 8 of the Raft paper forbids; it exists only so the simulator's tests
 *     can show that the safety checker catches the resulting violations
 * @param unsafeSkippedMembershipRuleForTesting UNSAFE, tests only (default {@link SkippedMembershipRule#NONE}): a
 *     leader proposes membership changes without one of its safety rules, so the simulator's tests can show that the
 *     safety checker catches the result
 */
public record RaftConfig(
        String id,
        List<String> voters,
        int electionTicks,
        int heartbeatTicks,
        long maxBytesPerAppend,
        int maxEntriesPerAppend,
        int maxInflightAppends,
        long maxCommittedBytesPerReady,
        boolean preVote,
        boolean checkQuorum,
        long maxPromotionLag,
        long applied,
        boolean joining,
        boolean unsafeCommitOlderTermsForTesting,
        SkippedMembershipRule unsafeSkippedMembershipRuleForTesting) {

    /** The default of {@link #maxPromotionLag}, in entries. */
    public static final long DEFAULT_MAX_PROMOTION_LAG = 1_000;

    /** A membership-change rule a test leader may skip (see {@link MembershipChangeRules}). */
    public enum SkippedMembershipRule {
        NONE,
        /** A change may be proposed while the previous one is not committed. */
        ONE_CHANGE_AT_A_TIME,
        /** A change may be proposed before the leader has committed an entry of its own term. */
        COMMIT_IN_TERM_FIRST
    }

    public RaftConfig {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(voters, "voters");
        Objects.requireNonNull(unsafeSkippedMembershipRuleForTesting, "unsafeSkippedMembershipRuleForTesting");
        if (id.isEmpty()) {
            throw new IllegalArgumentException("node id must not be empty");
        }
        TreeSet<String> distinct = new TreeSet<>(voters);
        if (distinct.size() != voters.size()) {
            throw new IllegalArgumentException("voter ids must be distinct: " + voters);
        }
        if (distinct.contains("")) {
            throw new IllegalArgumentException("voter ids must not be empty");
        }
        if (!joining && !distinct.contains(id)) {
            throw new IllegalArgumentException("node " + id + " is not one of the voters " + voters);
        }
        if (joining && distinct.contains(id)) {
            throw new IllegalArgumentException("node " + id + " joins the group but is one of its voters " + voters);
        }
        voters = List.copyOf(distinct);
        if (heartbeatTicks < 1) {
            throw new IllegalArgumentException("heartbeatTicks must be at least 1, got " + heartbeatTicks);
        }
        if (electionTicks <= heartbeatTicks) {
            throw new IllegalArgumentException("electionTicks (" + electionTicks
                    + ") must be greater than heartbeatTicks (" + heartbeatTicks + ")");
        }
        if (maxBytesPerAppend < 1 || maxEntriesPerAppend < 1 || maxInflightAppends < 1
                || maxCommittedBytesPerReady < 1) {
            throw new IllegalArgumentException("message size and in-flight limits must be positive");
        }
        if (maxPromotionLag < 0) {
            throw new IllegalArgumentException("maxPromotionLag must not be negative, got " + maxPromotionLag);
        }
        if (applied < 0) {
            throw new IllegalArgumentException("applied must not be negative, got " + applied);
        }
    }

    public static Builder builder(String id, List<String> voters) {
        return new Builder(id, voters);
    }

    /** The membership this node starts with when its storage records none. */
    public Membership initialMembership() {
        return Membership.ofVoters(voters);
    }

    /** A copy of this configuration with a different applied index (for a restart). */
    public RaftConfig withApplied(long newApplied) {
        return new RaftConfig(id, voters, electionTicks, heartbeatTicks, maxBytesPerAppend, maxEntriesPerAppend,
                maxInflightAppends, maxCommittedBytesPerReady, preVote, checkQuorum, maxPromotionLag, newApplied,
                joining, unsafeCommitOlderTermsForTesting, unsafeSkippedMembershipRuleForTesting);
    }

    /** Builder with the documented defaults. */
    public static final class Builder {
        private final String id;
        private final List<String> voters;
        private int electionTicks = 10;
        private int heartbeatTicks = 1;
        private long maxBytesPerAppend = 1 << 20;
        private int maxEntriesPerAppend = 512;
        private int maxInflightAppends = 256;
        private long maxCommittedBytesPerReady = 64L << 20;
        private boolean preVote = true;
        private boolean checkQuorum = true;
        private long maxPromotionLag = DEFAULT_MAX_PROMOTION_LAG;
        private long applied;
        private boolean joining;
        private boolean unsafeCommitOlderTermsForTesting;
        private SkippedMembershipRule unsafeSkippedMembershipRuleForTesting = SkippedMembershipRule.NONE;

        private Builder(String id, List<String> voters) {
            this.id = id;
            this.voters = voters;
        }

        public Builder electionTicks(int ticks) {
            this.electionTicks = ticks;
            return this;
        }

        public Builder heartbeatTicks(int ticks) {
            this.heartbeatTicks = ticks;
            return this;
        }

        public Builder maxBytesPerAppend(long bytes) {
            this.maxBytesPerAppend = bytes;
            return this;
        }

        public Builder maxEntriesPerAppend(int count) {
            this.maxEntriesPerAppend = count;
            return this;
        }

        public Builder maxInflightAppends(int count) {
            this.maxInflightAppends = count;
            return this;
        }

        public Builder maxCommittedBytesPerReady(long bytes) {
            this.maxCommittedBytesPerReady = bytes;
            return this;
        }

        public Builder preVote(boolean enabled) {
            this.preVote = enabled;
            return this;
        }

        public Builder checkQuorum(boolean enabled) {
            this.checkQuorum = enabled;
            return this;
        }

        public Builder maxPromotionLag(long entries) {
            this.maxPromotionLag = entries;
            return this;
        }

        public Builder applied(long index) {
            this.applied = index;
            return this;
        }

        /** This node waits to be added to the group as a learner (see {@link RaftConfig#joining()}). */
        public Builder joining(boolean value) {
            this.joining = value;
            return this;
        }

        /** UNSAFE, tests only: breaks Figure 8's commit rule so tests can show the safety checker catches it. */
        public Builder unsafeCommitOlderTermsForTesting(boolean enabled) {
            this.unsafeCommitOlderTermsForTesting = enabled;
            return this;
        }

        /** UNSAFE, tests only: skips a membership-change rule so tests can show the safety checker catches it. */
        public Builder unsafeSkippedMembershipRuleForTesting(SkippedMembershipRule rule) {
            this.unsafeSkippedMembershipRuleForTesting = rule;
            return this;
        }

        public RaftConfig build() {
            return new RaftConfig(id, voters, electionTicks, heartbeatTicks, maxBytesPerAppend, maxEntriesPerAppend,
                    maxInflightAppends, maxCommittedBytesPerReady, preVote, checkQuorum, maxPromotionLag, applied,
                    joining, unsafeCommitOlderTermsForTesting, unsafeSkippedMembershipRuleForTesting);
        }
    }
}
