package io.raftkv.raft.api;

import java.util.concurrent.CompletableFuture;

/**
 * A proposal the leader appended at {@code index} in {@code term}. {@code applied} completes with the state
 * machine's reply when that entry is applied, or fails with {@link ProposalLostException} if a different entry ends
 * up at {@code index} or the term moves on first.
 */
public record Proposal(long index, long term, CompletableFuture<byte[]> applied) {}
