package io.raftkv.raft.runtime;

import io.raftkv.proto.raft.ConfChange;
import io.raftkv.proto.raft.Message;
import io.raftkv.raft.api.Proposal;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.storage.NodeStorage;
import io.raftkv.raft.storage.SnapshotFile;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * What other threads post to the event loop, besides peer {@link Message}s and {@link PendingProposal}s, which are
 * posted as they are (no wrapper on the hot paths).
 */
final class Events {
    private Events() {}

    /** A read barrier to start. */
    record Read(CompletableFuture<Void> future, long startNanos) {}

    /** A membership change to propose; the future completes with the membership once the change commits. */
    record ChangeMembership(ConfChange change, CompletableFuture<Membership> future) {}

    /** A leadership transfer to start. */
    record Transfer(String target, CompletableFuture<Void> future) {}

    /** The persister finished (or failed) the write of the Ready in flight. */
    record WriteDone(NodeStorage.PendingWrite write, Throwable error) {}

    /** A snapshot file arrived from the leader with its MSG_SNAPSHOT message. */
    record SnapshotArrived(Message message, SnapshotFile file) {}

    /** A snapshot transfer to a peer ended. */
    record SnapshotSent(String peer, boolean success) {}

    /** The transport could not deliver to a peer. */
    record Unreachable(String peer) {}

    /** The state machine made everything up to {@code index} durable: the log may be compacted up to there. */
    record Synced(long index) {}

    /** A snapshot this node captured is written (file null: capturing failed). */
    record Captured(SnapshotFile file) {}

    /** Runs a function on the loop thread (for status queries that need the core). */
    record Call<T>(Supplier<T> function, CompletableFuture<T> future) {}

    /** Stop the loop. */
    record Stop() {}

    /** A fatal failure on another node thread. */
    record Fatal(Throwable error) {}

    /** Helper for the Proposal the proposer's future completes with. */
    static Proposal proposal(PendingProposal p) {
        return new Proposal(p.id, p.applied);
    }
}
