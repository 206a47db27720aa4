package io.raftkv.raft.api;

import io.raftkv.raft.core.EntryId;
import java.util.concurrent.CompletableFuture;

/**
 * A proposal the leader appended as entry {@code id}. {@code applied} completes with the state machine's reply when
 * that entry is applied, or fails with {@link ProposalLostException} if a different entry ends up at its index or the
 * term moves on first.
 */
public record Proposal(EntryId id, CompletableFuture<byte[]> applied) {
    public long index() {
        return id.index();
    }

    public long term() {
        return id.term();
    }
}
