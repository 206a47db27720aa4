package io.raftkv.raft.sim;

import com.google.protobuf.ByteString;
import io.raftkv.proto.raft.Entry;
import io.raftkv.proto.raft.EntryType;
import io.raftkv.proto.raft.SnapshotMetadata;
import io.raftkv.raft.api.SnapshotSource;
import io.raftkv.raft.api.StateMachine;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.ReadState;
import io.raftkv.raft.runtime.SimDriver;
import io.raftkv.raft.storage.SnapshotFile;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.CompletableFuture;

/**
 * The apply side of one incarnation of a simulated node, as the runtime's apply thread runs it: what the driver hands
 * over (committed entries, snapshots to restore, confirmed read barriers, requests to sync or capture) is taken in
 * order, a little later, in virtual time. Applying completes the local proposers with the state machine's replies and
 * releases read barriers once their index is applied; syncing keeps the state machine's durable image on the node's
 * disk and tells the driver it may compact the log; capturing writes a snapshot file for a follower.
 *
 * <p>The simulation's own snapshot policy (every N entries, as the lab's service does it) also lives here: it syncs
 * the state machine, and the runtime compacts the log up to there.
 */
final class SimApplier implements SimDriver.ApplySide {
    private final SimNode node;
    private final Simulation sim;
    private final int incarnation;
    private final StateMachine stateMachine;
    private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();
    private final PriorityQueue<ReadWait> reads = new PriorityQueue<>((a, b) -> Long.compare(a.index(), b.index()));
    /** Read barriers started through {@link SimNode#readIndex}, with the token the listeners know them by. */
    private final Map<CompletableFuture<Void>, ByteString> tokens = new IdentityHashMap<>();
    private boolean scheduled;
    private long applied;
    private long appliedTerm;
    /** The membership at {@code applied}: what a snapshot taken now records. */
    private Membership membership;

    private record ReadWait(long index, List<CompletableFuture<Void>> barriers) {}

    SimApplier(SimNode node, int incarnation, StateMachine stateMachine, long applied, long appliedTerm,
            Membership membership) {
        this.membership = membership;
        this.node = node;
        this.sim = node.sim();
        this.incarnation = incarnation;
        this.stateMachine = stateMachine;
        this.applied = applied;
        this.appliedTerm = appliedTerm;
    }

    /** Remembers that {@code barrier} is the read the listeners know as {@code token}. */
    void track(CompletableFuture<Void> barrier, ByteString token) {
        tokens.put(barrier, token);
        barrier.whenComplete((v, e) -> tokens.remove(barrier));
    }

    // ---------------------------------------------------------------- from the driver

    @Override
    public void apply(List<Entry> entries, SimDriver.Proposers proposers) {
        enqueue(() -> applyNow(entries, proposers));
    }

    @Override
    public void restore(SnapshotMetadata metadata, InputStream body) {
        byte[] bytes;
        try (body) {
            bytes = body.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        enqueue(() -> restoreNow(metadata, bytes));
    }

    @Override
    public void releaseAt(long index, List<CompletableFuture<Void>> barriers) {
        // The barrier is confirmed now; it is served once the index is applied.
        for (CompletableFuture<Void> barrier : barriers) {
            ByteString token = tokens.get(barrier);
            if (token != null) {
                ReadState read = new ReadState(index, token);
                sim.checker().onReadState(node.id(), read);
                for (SimListener l : sim.listeners()) {
                    l.onReadState(node, read);
                }
            }
        }
        enqueue(() -> {
            reads.add(new ReadWait(index, barriers));
            releaseReads();
        });
    }

    @Override
    public void requestSync() {
        enqueue(this::syncNow);
    }

    @Override
    public void requestCapture() {
        enqueue(this::captureNow);
    }

    @Override
    public long applied() {
        return applied;
    }

    // ---------------------------------------------------------------- the apply thread, in virtual time

    private void enqueue(Runnable task) {
        tasks.add(task);
        if (!scheduled) {
            scheduled = true;
            long max = sim.config().readyDelayMaxMicros();
            sim.scheduler().after(max > 0 ? sim.random().nextLong(max + 1) : 0, this::drain);
        }
    }

    private void drain() {
        scheduled = false;
        Runnable task;
        while (node.isIncarnation(incarnation) && (task = tasks.poll()) != null) {
            task.run();
        }
    }

    private void applyNow(List<Entry> entries, SimDriver.Proposers proposers) {
        List<StateMachine.Command> commands = new ArrayList<>(entries.size());
        for (Entry e : entries) {
            sim.checker().onApplied(node.id(), e);
            if (e.getType() == EntryType.ENTRY_CONF_CHANGE) {
                membership = membership.apply(e); // as the runtime's applier does
            }
            commands.add(StateMachine.Command.of(e));
        }
        List<byte[]> replies = stateMachine.apply(commands);
        StateMachine.Command last = commands.get(commands.size() - 1);
        applied = last.index();
        appliedTerm = last.term();
        node.checkDigest();
        List<SimListener> listeners = sim.listeners();
        for (int k = 0; k < commands.size(); k++) {
            proposers.reply(k, replies.get(k));
            for (SimListener l : listeners) {
                l.onApplied(node, commands.get(k), replies.get(k));
            }
        }
        releaseReads();
        int every = sim.config().snapshotEvery();
        if (every > 0 && applied - node.imageIndex() >= every) {
            syncNow();
        }
    }

    private void restoreNow(SnapshotMetadata metadata, byte[] bytes) {
        restore(stateMachine, metadata, bytes);
        applied = metadata.getIndex();
        appliedTerm = metadata.getTerm();
        membership = Membership.of(metadata.getConfState());
        node.keepImage(metadata, bytes); // a restored state machine is durable, as the runtime's is
        sim.checker().onSnapshotInstalled(node.id(), metadata.getIndex(), metadata.getTerm());
        node.checkDigest();
        for (SimListener l : sim.listeners()) {
            l.onSnapshotInstalled(node, metadata.getIndex(), metadata.getTerm());
        }
        releaseReads();
    }

    /** Makes the state machine durable (its image on the node's disk) and lets the runtime compact up to there. */
    private void syncNow() {
        if (applied <= node.imageIndex()) {
            return;
        }
        long durable;
        try (SnapshotSource source = stateMachine.captureSnapshot()) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            source.writeTo(out);
            durable = Math.min(source.index(), stateMachine.sync());
            if (source.index() != applied || durable < applied) {
                throw new IllegalStateException(node.id() + ": the state machine captured " + source.index()
                        + " and made " + durable + " durable with " + applied + " applied");
            }
            node.keepImage(metadata(), out.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        node.driver().synced(durable);
        node.scheduleTurn(); // the driver compacts the log on its next turn
    }

    /** Writes a snapshot file of the current state for a follower that needs one. */
    private void captureNow() {
        SnapshotFile file;
        try (SnapshotSource source = stateMachine.captureSnapshot()) {
            file = node.snapshots().write(metadata(), source::writeTo);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        node.driver().captured(file);
        node.afterInput();
    }

    private SnapshotMetadata metadata() {
        return SnapshotMetadata.newBuilder().setIndex(applied).setTerm(appliedTerm).setConfState(membership.toConfState())
                .build();
    }

    private void releaseReads() {
        ReadWait w;
        while ((w = reads.peek()) != null && w.index() <= applied) {
            reads.poll();
            for (CompletableFuture<Void> barrier : w.barriers()) {
                barrier.complete(null);
            }
        }
    }

    static void restore(StateMachine stateMachine, SnapshotMetadata metadata, byte[] bytes) {
        try {
            stateMachine.restoreSnapshot(metadata.getIndex(), metadata.getTerm(), new ByteArrayInputStream(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
