package io.raftkv.raft.api;

import io.raftkv.raft.core.Role;

/**
 * One node's view: its id, role and term, whom it follows, and how far its log has been committed and applied.
 * {@code lastContactMillisAgo} is how long ago a follower last heard from the leader (0 on the leader, -1 if never).
 */
public record NodeStatus(
        String id,
        Role role,
        long term,
        String leaderId,
        String leaderAddress,
        long commitIndex,
        long appliedIndex,
        long lastIndex,
        long lastContactMillisAgo) {
}
