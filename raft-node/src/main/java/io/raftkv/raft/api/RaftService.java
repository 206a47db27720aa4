package io.raftkv.raft.api;

import java.util.concurrent.CompletableFuture;

/**
 * What a service built on Raft (the KV server) asks of its local raft node. Thread-safe: any thread may call it.
 *
 * <p>Futures fail with {@link NotLeaderException} when this node cannot do the work because it is not the leader
 * (the exception carries a hint of who is), and with {@link ProposalLostException} when the node accepted a proposal
 * but then learned that it will not be applied at the place it was given (another entry landed there, or the term
 * moved on). In both cases the caller should retry, possibly on another node; a retried command must be safe to apply
 * twice (the KV store deduplicates by client id and sequence number).
 */
public interface RaftService {

    /**
     * Proposes a command. The future completes with the command's place in the log as soon as the leader has
     * appended it; {@link Proposal#applied()} completes with the state machine's reply once the command is applied
     * on this node.
     */
    CompletableFuture<Proposal> propose(byte[] command);

    /**
     * A linearizable read barrier (ReadIndex): completes once this node has confirmed with a quorum that it is still
     * the leader and has applied everything committed at the moment of the call, so a read of the local state that
     * starts afterwards reflects every write acknowledged before this call.
     */
    CompletableFuture<Void> readBarrier();

    /** A snapshot of this node's view of the cluster. */
    NodeStatus status();

    /** Asks the leader to hand leadership to {@code peerId}; completes when that peer is leader. */
    CompletableFuture<Void> transferLeadership(String peerId);
}
