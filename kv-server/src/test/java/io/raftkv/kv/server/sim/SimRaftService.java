package io.raftkv.kv.server.sim;

import com.google.protobuf.ByteString;
import io.raftkv.raft.api.NodeStatus;
import io.raftkv.raft.api.NotLeaderException;
import io.raftkv.raft.api.Proposal;
import io.raftkv.raft.api.ProposalLostException;
import io.raftkv.raft.api.RaftService;
import io.raftkv.raft.core.ProposeResult;
import io.raftkv.raft.core.RaftStatus;
import io.raftkv.raft.core.ReadState;
import io.raftkv.raft.core.Role;
import io.raftkv.raft.sim.SimNode;
import io.raftkv.raft.sim.Simulation;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;

/**
 * The {@link RaftService} contract over one incarnation of a simulated node, in virtual time: what the Kv service
 * sees of its local raft node. Futures complete inside simulation steps, so a request's whole path (propose, apply,
 * reply) is deterministic.
 *
 * <ul>
 *   <li>A proposal completes with the state machine's reply when this node applies its (index, term); it fails with
 *       {@link ProposalLostException} when a different entry is applied there, a snapshot covers it, this node's
 *       term moves past it, or this node stops leading (as the runtime's event loop does).
 *   <li>A read barrier completes once the ReadIndex round is confirmed and this node has applied up to the read
 *       index; it fails with {@link NotLeaderException} when the leader it was started under changes, and with
 *       {@link TimeoutException} when no confirmation came within the read timeout (ReadIndex requests can be lost).
 * </ul>
 *
 * {@link FrontEnds} feeds it the node's events ({@link #onApplied}, {@link #onSnapshotInstalled}, {@link #onReadState})
 * and calls {@link #sweep} on every role change and once per tick. When the node crashes the incarnation is
 * {@link #stop() stopped}, as a killed process abandons its requests.
 */
final class SimRaftService implements RaftService {
    private final Simulation sim;
    private final SimNode node;
    private final long confirmTimeoutMicros;

    private final TreeMap<Long, PendingProposal> proposals = new TreeMap<>();
    private final Map<ByteString, PendingRead> unconfirmedReads = new LinkedHashMap<>();
    private final List<ConfirmedRead> confirmedReads = new ArrayList<>();
    private final List<PendingTransfer> transfers = new ArrayList<>();
    private boolean stopped;

    private record PendingProposal(long term, CompletableFuture<byte[]> applied) {}

    private record PendingRead(long term, String leader, long deadline, CompletableFuture<Void> barrier) {}

    private record ConfirmedRead(long index, CompletableFuture<Void> barrier) {}

    private record PendingTransfer(String transferee, long deadline, CompletableFuture<Void> done) {}

    /**
     * @param confirmTimeoutMicros how long a read barrier or a leadership transfer waits to be confirmed
     */
    SimRaftService(Simulation sim, SimNode node, long confirmTimeoutMicros) {
        this.sim = sim;
        this.node = node;
        this.confirmTimeoutMicros = confirmTimeoutMicros;
    }

    // ---------------------------------------------------------------- RaftService

    @Override
    public CompletableFuture<Proposal> propose(byte[] command) {
        if (!usable()) {
            return CompletableFuture.failedFuture(new NotLeaderException("", ""));
        }
        ProposeResult result = node.propose(command);
        return switch (result) {
            case ProposeResult.Accepted accepted -> {
                CompletableFuture<byte[]> applied = new CompletableFuture<>();
                PendingProposal replaced = proposals.put(accepted.index(),
                        new PendingProposal(accepted.term(), applied));
                if (replaced != null) {
                    replaced.applied().completeExceptionally(lost(accepted.index(), "a newer proposal took it"));
                }
                yield CompletableFuture.completedFuture(new Proposal(accepted.id(), applied));
            }
            case ProposeResult.NotLeader notLeader -> CompletableFuture.failedFuture(notLeader(notLeader.leaderId()));
            // A leader handing over leadership refuses proposals for a moment: the client retries here.
            case ProposeResult.Dropped dropped -> CompletableFuture.failedFuture(notLeader(node.leader()));
        };
    }

    @Override
    public CompletableFuture<Void> readBarrier() {
        if (!usable()) {
            return CompletableFuture.failedFuture(new NotLeaderException("", ""));
        }
        ByteString context = node.readIndex();
        if (context == null) {
            return CompletableFuture.failedFuture(notLeader(node.leader()));
        }
        CompletableFuture<Void> barrier = new CompletableFuture<>();
        unconfirmedReads.put(context, new PendingRead(node.term(), node.leader(), sim.now() + confirmTimeoutMicros,
                barrier));
        return barrier;
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
        if (!usable()) {
            return CompletableFuture.failedFuture(new NotLeaderException("", ""));
        }
        if (!node.transferLeadership(peerId)) {
            return CompletableFuture.failedFuture(new IllegalStateException(node.id()
                    + " cannot start a leadership transfer to " + peerId));
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        transfers.add(new PendingTransfer(peerId, sim.now() + confirmTimeoutMicros, done));
        return done;
    }

    // ---------------------------------------------------------------- node events

    /** The node applied the entry at {@code index}: settles the proposals at or below it. */
    void onApplied(long index, long term, byte[] reply) {
        while (!proposals.isEmpty() && proposals.firstKey() <= index) {
            Map.Entry<Long, PendingProposal> first = proposals.pollFirstEntry();
            PendingProposal pending = first.getValue();
            if (first.getKey() == index && pending.term() == term) {
                pending.applied().complete(reply);
            } else {
                pending.applied().completeExceptionally(lost(first.getKey(), "another entry was applied there"));
            }
        }
        serveConfirmedReads();
    }

    /** The node's state was replaced by a snapshot up to {@code index}: its proposals there can no longer be told. */
    void onSnapshotInstalled(long index) {
        while (!proposals.isEmpty() && proposals.firstKey() <= index) {
            Map.Entry<Long, PendingProposal> first = proposals.pollFirstEntry();
            first.getValue().applied().completeExceptionally(lost(first.getKey(), "a snapshot replaced it"));
        }
        serveConfirmedReads();
    }

    void onReadState(ReadState read) {
        PendingRead pending = unconfirmedReads.remove(read.context());
        if (pending != null) {
            confirmedReads.add(new ConfirmedRead(read.index(), pending.barrier()));
            serveConfirmedReads();
        }
    }

    /**
     * Fails what can no longer succeed: proposals of an older term or of a leadership that ended, reads whose leader
     * changed or that timed out; completes transfers whose target now leads.
     */
    void sweep() {
        if (!usable()) {
            return;
        }
        long term = node.term();
        boolean leading = node.isLeader();
        for (Iterator<Map.Entry<Long, PendingProposal>> it = proposals.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Long, PendingProposal> entry = it.next();
            if (entry.getValue().term() < term || !leading) {
                it.remove();
                entry.getValue().applied().completeExceptionally(lost(entry.getKey(), leading
                        ? "the term moved on to " + term : "this node stopped being the leader"));
            }
        }
        String leader = node.leader();
        long now = sim.now();
        for (Iterator<PendingRead> it = unconfirmedReads.values().iterator(); it.hasNext(); ) {
            PendingRead read = it.next();
            if (read.term() < term || !read.leader().equals(leader)) {
                it.remove();
                read.barrier().completeExceptionally(notLeader(leader));
            } else if (now >= read.deadline()) {
                it.remove();
                read.barrier().completeExceptionally(new TimeoutException("the read index was not confirmed"));
            }
        }
        for (Iterator<PendingTransfer> it = transfers.iterator(); it.hasNext(); ) {
            PendingTransfer transfer = it.next();
            if (leader.equals(transfer.transferee())) {
                it.remove();
                transfer.done().complete(null);
            } else if (now >= transfer.deadline()) {
                it.remove();
                transfer.done().completeExceptionally(new TimeoutException(transfer.transferee()
                        + " did not take over leadership"));
            }
        }
    }

    /**
     * The node crashed: this incarnation answers nothing more. Its futures fail (nobody hears of it: the front end
     * dropped its calls first), which also releases the service's timers on them.
     */
    void stop() {
        stopped = true;
        List<CompletableFuture<?>> abandoned = new ArrayList<>();
        proposals.values().forEach(p -> abandoned.add(p.applied()));
        unconfirmedReads.values().forEach(r -> abandoned.add(r.barrier()));
        confirmedReads.forEach(r -> abandoned.add(r.barrier()));
        transfers.forEach(t -> abandoned.add(t.done()));
        proposals.clear();
        unconfirmedReads.clear();
        confirmedReads.clear();
        transfers.clear();
        for (CompletableFuture<?> future : abandoned) {
            future.completeExceptionally(new NotLeaderException("", ""));
        }
    }

    private void serveConfirmedReads() {
        if (confirmedReads.isEmpty() || !usable()) {
            return;
        }
        long applied = node.stateMachine().appliedIndex();
        List<ConfirmedRead> ready = new ArrayList<>();
        for (Iterator<ConfirmedRead> it = confirmedReads.iterator(); it.hasNext(); ) {
            ConfirmedRead read = it.next();
            if (read.index() <= applied) {
                it.remove();
                ready.add(read);
            }
        }
        // Completed outside the loop: a completion runs the Kv service's reply path, which may start new reads.
        for (ConfirmedRead read : ready) {
            read.barrier().complete(null);
        }
    }

    private boolean usable() {
        return !stopped && node.isUp();
    }

    private static NotLeaderException notLeader(String leaderId) {
        // Node ids double as addresses in the simulation.
        return new NotLeaderException(leaderId, leaderId);
    }

    private ProposalLostException lost(long index, String why) {
        return new ProposalLostException("the proposal at index " + index + " on " + node.id() + " was lost: " + why);
    }
}
