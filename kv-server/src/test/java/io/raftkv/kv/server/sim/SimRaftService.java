package io.raftkv.kv.server.sim;

import io.raftkv.raft.api.NodeStatus;
import io.raftkv.raft.api.NotLeaderException;
import io.raftkv.raft.api.Proposal;
import io.raftkv.raft.api.RaftService;
import io.raftkv.raft.core.RaftStatus;
import io.raftkv.raft.core.Role;
import io.raftkv.raft.sim.SimNode;
import java.util.concurrent.CompletableFuture;

/**
 * The {@link RaftService} contract over one incarnation of a simulated node, in virtual time: what the Kv service
 * sees of its local raft node. Proposals, read barriers and leadership transfers go to the node's runtime driver,
 * whose own proposal and read tracking completes them, so a request's whole path (propose, apply, reply) is the
 * production one, and deterministic. When the node crashes the incarnation is {@link #stop() stopped}: like a killed
 * process, it answers nothing more.
 */
final class SimRaftService implements RaftService {
    private final SimNode node;
    private boolean stopped;

    SimRaftService(SimNode node) {
        this.node = node;
    }

    @Override
    public CompletableFuture<Proposal> propose(byte[] command) {
        return usable() ? node.proposeAsync(command) : down();
    }

    @Override
    public CompletableFuture<Void> readBarrier() {
        return usable() ? node.readBarrier() : down();
    }

    @Override
    public NodeStatus status() {
        if (!usable()) {
            throw new IllegalStateException(node.id() + " is down");
        }
        RaftStatus s = node.status();
        boolean leader = s.role() == Role.LEADER;
        // The simulator does not track when a follower last heard from its leader: -1 ("never") off the leader.
        return new NodeStatus(s.id(), s.role(), s.term(), s.leader(), s.leader(), s.commitIndex(), s.appliedIndex(),
                s.lastIndex(), leader ? 0 : -1);
    }

    @Override
    public CompletableFuture<Void> transferLeadership(String peerId) {
        return usable() ? node.transferAsync(peerId) : down();
    }

    /** The node crashed: this incarnation answers nothing more. */
    void stop() {
        stopped = true;
    }

    private boolean usable() {
        return !stopped && node.isUp();
    }

    private static <T> CompletableFuture<T> down() {
        return CompletableFuture.failedFuture(new NotLeaderException("", ""));
    }
}
