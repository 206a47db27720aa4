package io.raftkv.raft.core;

import java.util.Map;

/**
 * A snapshot of a node's Raft state, for monitoring and tests. {@code followers} is filled on the leader only
 * (keyed by follower id); {@code leadTransferee} is "" unless the leader is handing over leadership.
 */
public record RaftStatus(
        String id,
        Role role,
        long term,
        String vote,
        String leader,
        long commitIndex,
        long appliedIndex,
        long firstIndex,
        long lastIndex,
        String leadTransferee,
        Map<String, FollowerProgress> followers) {

    /** The leader's view of one follower. {@code state} is PROBE, REPLICATE or SNAPSHOT. */
    public record FollowerProgress(long match, long next, String state, int inflight, boolean recentActive) {}
}
