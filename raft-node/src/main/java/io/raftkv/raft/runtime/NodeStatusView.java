package io.raftkv.raft.runtime;

import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.Role;
import java.util.function.LongSupplier;

/**
 * The node's state as last published by the event loop (and the apply thread, for the applied index), readable from
 * any thread without going through the loop. Fields are individually up to date, not a consistent cut.
 */
final class NodeStatusView {
    volatile Role role = Role.FOLLOWER;
    volatile long term;
    volatile String leader = "";
    volatile long commitIndex;
    volatile long firstIndex = 1;
    volatile long lastIndex;
    /** When a follower last heard from its leader (System.nanoTime), or 0 if never. */
    volatile long lastContactNanos;
    /** The membership this node's log establishes (null until the node starts). */
    volatile Membership membership;
    /** Where each node this one knows of listens, by id ({@link GroupMembership} keeps it). */
    volatile java.util.Map<String, String> addresses = java.util.Map.of();
    private volatile LongSupplier applied = () -> 0;

    void setAppliedSource(LongSupplier source) {
        this.applied = source;
    }

    Role role() {
        return role;
    }

    long term() {
        return term;
    }

    long commitIndex() {
        return commitIndex;
    }

    long appliedIndex() {
        return applied.getAsLong();
    }

    long firstIndex() {
        return firstIndex;
    }

    long lastIndex() {
        return lastIndex;
    }
}
