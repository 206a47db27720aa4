package io.raftkv.kv.server;

import io.raftkv.raft.api.NodeStatus;
import io.raftkv.raft.api.NotLeaderException;
import io.raftkv.raft.api.Proposal;
import io.raftkv.raft.api.ProposalLostException;
import io.raftkv.raft.api.RaftService;
import io.raftkv.raft.api.StateMachine;
import io.raftkv.raft.core.EntryId;
import io.raftkv.raft.core.Role;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in for a one-node Raft cluster: a proposal is "committed" at once and applied on a single apply thread, as
 * the real node would. Switches let tests make the node a follower, lose proposals after applying them (as when a
 * leader applies a command but loses its term before answering), apply every command twice (a retried command that
 * lands in the log twice), or stall.
 */
final class SingleNodeRaft implements RaftService, AutoCloseable {
    private final StateMachine machine;
    private final String id;
    private final String address;
    private final ExecutorService applyThread = Executors.newSingleThreadExecutor(r -> {
        Thread thread = new Thread(r, "fake-raft-apply");
        thread.setDaemon(true);
        return thread;
    });
    private long lastIndex;

    volatile boolean leader = true;
    volatile String hintId = "";
    volatile String hintAddress = "";
    /** Proposals still to be applied but then reported lost (the client sees NOT_LEADER). */
    final AtomicInteger loseAfterApplying = new AtomicInteger();
    volatile boolean applyTwice;
    volatile boolean stall;

    SingleNodeRaft(StateMachine machine, String id, String address) {
        this.machine = machine;
        this.id = id;
        this.address = address;
        this.lastIndex = machine.appliedIndex();
    }

    @Override
    public CompletableFuture<Proposal> propose(byte[] command) {
        if (!leader) {
            return CompletableFuture.failedFuture(new NotLeaderException(hintId, hintAddress));
        }
        if (stall) {
            return new CompletableFuture<>();
        }
        return CompletableFuture.supplyAsync(() -> {
            long index = ++lastIndex;
            byte[] reply = machine.apply(List.of(new StateMachine.Command(new EntryId(1, index), command))).get(0);
            if (applyTwice) {
                machine.apply(List.of(new StateMachine.Command(new EntryId(1, ++lastIndex), command)));
            }
            CompletableFuture<byte[]> applied = loseAfterApplying.getAndUpdate(n -> Math.max(0, n - 1)) > 0
                    ? CompletableFuture.failedFuture(new ProposalLostException("entry " + index + " was overwritten"))
                    : CompletableFuture.completedFuture(reply);
            return new Proposal(new EntryId(1, index), applied);
        }, applyThread);
    }

    @Override
    public CompletableFuture<Void> readBarrier() {
        if (!leader) {
            return CompletableFuture.failedFuture(new NotLeaderException(hintId, hintAddress));
        }
        if (stall) {
            return new CompletableFuture<>();
        }
        return CompletableFuture.runAsync(() -> { }, applyThread);
    }

    @Override
    public NodeStatus status() {
        return new NodeStatus(id, leader ? Role.LEADER : Role.FOLLOWER, 1,
                leader ? id : hintId, leader ? address : hintAddress, lastIndex, machine.appliedIndex(), lastIndex,
                leader ? 0 : 42);
    }

    @Override
    public CompletableFuture<Void> transferLeadership(String peerId) {
        return CompletableFuture.failedFuture(new UnsupportedOperationException("a single node has no peers"));
    }

    /** Runs {@code action} on the apply thread (where the state machine expects snapshot calls) and waits. */
    <T> T onApplyThread(java.util.concurrent.Callable<T> action) throws Exception {
        return applyThread.submit(action).get(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        applyThread.shutdownNow();
    }
}
