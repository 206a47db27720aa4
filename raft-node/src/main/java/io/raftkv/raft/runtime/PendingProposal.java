package io.raftkv.raft.runtime;

import io.raftkv.raft.api.Proposal;
import io.raftkv.raft.core.EntryId;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One proposal on its way: the command, when it was made, its place in the log once accepted, and the two futures of
 * the {@link io.raftkv.raft.api.RaftService} contract. Every proposal ends exactly once (applied, or failed), which
 * releases its slot in the node's bound on outstanding proposals.
 */
final class PendingProposal {
    final byte[] data;
    final long startNanos;
    final CompletableFuture<Proposal> accepted = new CompletableFuture<>();
    final CompletableFuture<byte[]> applied = new CompletableFuture<>();
    private final AtomicInteger outstanding;
    /** Where the leader placed it (null until accepted). */
    EntryId id;

    PendingProposal(byte[] data, long startNanos, AtomicInteger outstanding) {
        this.data = data;
        this.startNanos = startNanos;
        this.outstanding = outstanding;
    }

    /** Applied: the proposer gets the state machine's reply. */
    void complete(byte[] reply) {
        if (applied.complete(reply)) {
            outstanding.decrementAndGet();
        }
    }

    /** Refused before it reached the log (not the leader, shutting down...). */
    void refuse(RuntimeException error) {
        if (accepted.completeExceptionally(error)) {
            applied.completeExceptionally(error);
            outstanding.decrementAndGet();
        }
    }

    /** Accepted, but it will not be applied where it was placed. */
    void lose(RuntimeException error) {
        if (applied.completeExceptionally(error)) {
            outstanding.decrementAndGet();
        }
    }
}
