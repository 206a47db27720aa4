package io.raftkv.raft.runtime;

import io.raftkv.proto.raft.Entry;
import io.raftkv.proto.raft.EntryType;
import io.raftkv.proto.raft.SnapshotMetadata;
import io.raftkv.raft.api.CapturedState;
import io.raftkv.raft.api.SnapshotSource;
import io.raftkv.raft.api.StateMachine;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.storage.CorruptStorageException;
import io.raftkv.raft.storage.SnapshotDirectory;
import io.raftkv.raft.storage.SnapshotFile;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The apply thread: the only thread that calls the {@link StateMachine}. It takes, in log order, what the event loop
 * hands over after each persisted Ready (snapshots to restore, committed entries, read barriers to release) and the
 * loop's requests to sync (before compaction) and to capture a snapshot (for a follower that needs one).
 *
 * <p>Consecutive batches of entries that queued up while the state machine was busy are applied with one
 * {@link StateMachine#apply} call. Proposers learn their reply here; read barriers complete here once the applied
 * index reaches their read index. Capturing is quick (on this thread); writing the captured snapshot to its file
 * happens on the snapshot writer thread while applying goes on.
 */
final class Applier implements Runnable, ApplyHandoff {
    private static final Logger LOG = LoggerFactory.getLogger(Applier.class);
    private static final int MAX_COMMANDS_PER_APPLY = 16_384;

    private record ApplyEntries(List<Entry> entries, PendingProposal[] proposals) {}

    private record Restore(SnapshotMetadata metadata, InputStream body) {}

    private record ReadWait(long index, List<CompletableFuture<Void>> futures) {}

    private record SyncRequest() {}

    private record CaptureRequest() {}

    private record Task(Callable<?> work, CompletableFuture<Object> result) {}

    private record Stop() {}

    private final String nodeId;
    private final StateMachine stateMachine;
    private final SnapshotDirectory snapshots;
    private final ExecutorService snapshotWriter;
    private final Inbox loop;
    private final NodeMetrics metrics;
    private final LinkedBlockingQueue<Object> tasks = new LinkedBlockingQueue<>();
    private final PriorityQueue<ReadWait> reads =
            new PriorityQueue<>((a, b) -> Long.compare(a.index(), b.index()));

    private volatile long applied;
    private long appliedTerm;
    /** The membership at {@code applied}: what a snapshot taken now records. */
    private Membership membership;

    Applier(String nodeId, StateMachine stateMachine, SnapshotDirectory snapshots, ExecutorService snapshotWriter,
            Inbox loop, NodeMetrics metrics) {
        this.nodeId = nodeId;
        this.stateMachine = stateMachine;
        this.snapshots = snapshots;
        this.snapshotWriter = snapshotWriter;
        this.loop = loop;
        this.metrics = metrics;
    }

    /** Where applying starts, and the membership there (set before anything is handed over). */
    void startAt(long index, long term, Membership membershipThere) {
        this.applied = index;
        this.appliedTerm = term;
        this.membership = membershipThere;
    }

    @Override
    public long applied() {
        return applied;
    }

    // ---------------------------------------------------------------- from the event loop

    @Override
    public void apply(List<Entry> entries, PendingProposal[] proposals) {
        tasks.add(new ApplyEntries(entries, proposals));
    }

    @Override
    public void restore(SnapshotMetadata metadata, InputStream body) {
        tasks.add(new Restore(metadata, body));
    }

    @Override
    public void releaseAt(long index, List<CompletableFuture<Void>> futures) {
        tasks.add(new ReadWait(index, futures));
    }

    @Override
    public void requestSync() {
        tasks.add(new SyncRequest());
    }

    @Override
    public void requestCapture() {
        tasks.add(new CaptureRequest());
    }

    /** Runs {@code work} on the apply thread (in order with everything queued before) and waits for it. */
    <T> T call(Callable<T> work) throws Exception {
        CompletableFuture<Object> result = new CompletableFuture<>();
        tasks.add(new Task(work, result));
        try {
            @SuppressWarnings("unchecked")
            T value = (T) result.get();
            return value;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }

    /**
     * At start-up: restores the stored snapshot if the state machine is behind the log's base (it crashed before the
     * restore of a received snapshot finished, or the node was restored from a backup); returns the applied index.
     */
    long catchUpToBase(SnapshotMetadata base, SnapshotFile baseFile, Path logDir, Path snapshotDir)
            throws IOException {
        long applied = stateMachine.appliedIndex();
        if (applied >= base.getIndex()) {
            return applied;
        }
        if (baseFile == null) {
            throw new CorruptStorageException("the state machine has applied up to " + applied + " but the raft log in "
                    + logDir + " starts after " + base.getIndex() + " and there is no snapshot file "
                    + SnapshotDirectory.fileName(base) + " in " + snapshotDir + " to restore from");
        }
        LOG.info("{}: the state machine is at {}, behind the log base {}: restoring {}", nodeId, applied,
                base.getIndex(), baseFile.path());
        try {
            call(() -> {
                try (InputStream body = baseFile.openBody()) {
                    stateMachine.restoreSnapshot(base.getIndex(), base.getTerm(), body);
                }
                return null;
            });
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException("cannot restore " + baseFile.path() + ": " + e.getMessage(), e);
        }
        long restored = stateMachine.appliedIndex();
        if (restored != base.getIndex()) {
            throw new IOException("after restoring " + baseFile.path() + " the state machine reports applied index "
                    + restored + ", not " + base.getIndex());
        }
        return restored;
    }

    /** Captures the state machine now, in order with what is queued, for a backup; the caller closes it. */
    CapturedState captureForBackup() throws Exception {
        return call(() -> {
            SnapshotSource source = stateMachine.captureSnapshot();
            if (source.index() != applied) {
                source.close();
                throw new IllegalStateException("the state machine captured index " + source.index() + " but "
                        + applied + " is applied");
            }
            return new CapturedState(SnapshotMetadata.newBuilder().setIndex(applied).setTerm(appliedTerm)
                    .setConfState(membership.toConfState()).build(), source);
        });
    }

    /** Asks the thread to finish what is queued and stop. */
    void stop() {
        tasks.add(new Stop());
    }

    // ---------------------------------------------------------------- the thread

    @Override
    public void run() {
        List<Object> batch = new ArrayList<>();
        List<ApplyEntries> group = new ArrayList<>();
        try {
            while (true) {
                batch.add(tasks.take());
                tasks.drainTo(batch);
                int commands = 0;
                for (Object task : batch) {
                    if (task instanceof ApplyEntries a) {
                        if (commands + a.entries().size() > MAX_COMMANDS_PER_APPLY && !group.isEmpty()) {
                            applyGroup(group);
                            commands = 0;
                        }
                        group.add(a);
                        commands += a.entries().size();
                        continue;
                    }
                    if (!group.isEmpty()) {
                        applyGroup(group);
                        commands = 0;
                    }
                    if (task instanceof Stop) {
                        failWaitingReads(new IllegalStateException("raft node " + nodeId + " stopped"));
                        return;
                    }
                    handle(task);
                }
                if (!group.isEmpty()) {
                    applyGroup(group);
                }
                batch.clear();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable t) {
            LOG.error("{}: the apply thread failed", nodeId, t);
            failWaitingReads(t);
            batch.addAll(group);
            tasks.drainTo(batch);
            failUnapplied(batch, t);
            loop.post(new Events.Fatal(t));
        }
    }

    /** After a failure: nothing queued will be applied, so its proposers and readers hear so now. */
    private void failUnapplied(List<Object> unapplied, Throwable error) {
        IllegalStateException failure = new IllegalStateException("raft node " + nodeId + " failed: " + error, error);
        for (Object task : unapplied) {
            if (task instanceof ApplyEntries a && a.proposals() != null) {
                for (PendingProposal p : a.proposals()) {
                    if (p != null) {
                        p.lose(failure);
                    }
                }
            } else if (task instanceof ReadWait w) {
                for (CompletableFuture<Void> f : w.futures()) {
                    f.completeExceptionally(failure);
                }
            } else if (task instanceof Task t) {
                t.result().completeExceptionally(failure);
            }
        }
    }

    private void handle(Object task) throws Exception {
        switch (task) {
            case Restore r -> restore(r);
            case ReadWait w -> {
                reads.add(w);
                releaseReads();
            }
            case SyncRequest s -> {
                long durable = stateMachine.sync();
                loop.post(new Events.Synced(durable));
            }
            case CaptureRequest c -> capture();
            case Task t -> {
                try {
                    t.result().complete(t.work().call());
                } catch (Exception e) {
                    t.result().completeExceptionally(e);
                }
            }
            default -> throw new IllegalStateException("unknown apply task " + task);
        }
    }

    private void applyGroup(List<ApplyEntries> group) {
        int total = 0;
        for (ApplyEntries a : group) {
            total += a.entries().size();
        }
        List<StateMachine.Command> commands = new ArrayList<>(total);
        for (ApplyEntries a : group) {
            for (Entry e : a.entries()) {
                if (e.getType() == EntryType.ENTRY_CONF_CHANGE) {
                    membership = membership.apply(e);
                }
                commands.add(StateMachine.Command.of(e));
            }
        }
        long start = System.nanoTime();
        List<byte[]> replies = stateMachine.apply(commands);
        metrics.recordApply(System.nanoTime() - start, total);
        if (replies.size() != total) {
            throw new IllegalStateException("the state machine returned " + replies.size() + " replies for "
                    + total + " commands");
        }
        int k = 0;
        for (ApplyEntries a : group) {
            PendingProposal[] proposals = a.proposals();
            for (int i = 0; i < a.entries().size(); i++, k++) {
                if (proposals != null && proposals[i] != null) {
                    proposals[i].complete(replies.get(k));
                }
            }
        }
        StateMachine.Command last = commands.get(total - 1);
        appliedTerm = last.term();
        applied = last.index();
        group.clear();
        releaseReads();
    }

    private void restore(Restore r) throws IOException {
        SnapshotMetadata m = r.metadata();
        long start = System.nanoTime();
        try (InputStream body = r.body()) {
            stateMachine.restoreSnapshot(m.getIndex(), m.getTerm(), body);
        }
        if (stateMachine.appliedIndex() != m.getIndex()) {
            throw new IllegalStateException("after restoring snapshot " + m.getIndex() + " the state machine reports "
                    + "applied index " + stateMachine.appliedIndex());
        }
        applied = m.getIndex();
        appliedTerm = m.getTerm();
        membership = Membership.of(m.getConfState());
        metrics.snapshotInstalled();
        LOG.info("{}: restored snapshot {} (term {}) in {} ms", nodeId, m.getIndex(), m.getTerm(),
                (System.nanoTime() - start) / 1_000_000);
        releaseReads();
    }

    private void capture() {
        SnapshotSource source;
        try {
            source = stateMachine.captureSnapshot();
        } catch (RuntimeException e) {
            LOG.warn("{}: capturing a snapshot failed: {}", nodeId, e.toString());
            loop.post(new Events.Captured(null));
            return;
        }
        if (source.index() != applied) {
            LOG.warn("{}: the state machine captured index {} but {} is applied", nodeId, source.index(), applied);
            source.close();
            loop.post(new Events.Captured(null));
            return;
        }
        SnapshotMetadata metadata = SnapshotMetadata.newBuilder()
                .setIndex(applied).setTerm(appliedTerm).setConfState(membership.toConfState()).build();
        try {
            snapshotWriter.execute(() -> writeSnapshot(metadata, source));
        } catch (RejectedExecutionException e) {
            source.close(); // shutting down
        }
    }

    /** On the snapshot writer thread: the captured state goes to its file while applying continues. */
    private void writeSnapshot(SnapshotMetadata metadata, SnapshotSource source) {
        long start = System.nanoTime();
        SnapshotFile file = null;
        try (source) {
            file = snapshots.write(metadata, source::writeTo);
            LOG.info("{}: wrote snapshot {} ({} bytes) in {} ms", nodeId, metadata.getIndex(), file.bodyLength(),
                    (System.nanoTime() - start) / 1_000_000);
        } catch (IOException | RuntimeException e) {
            LOG.warn("{}: writing snapshot {} failed: {}", nodeId, metadata.getIndex(), e.toString());
        }
        loop.post(new Events.Captured(file));
    }

    private void releaseReads() {
        ReadWait w;
        long now = applied;
        while ((w = reads.peek()) != null && w.index() <= now) {
            reads.poll();
            for (CompletableFuture<Void> f : w.futures()) {
                f.complete(null);
            }
        }
    }

    private void failWaitingReads(Throwable error) {
        ReadWait w;
        while ((w = reads.poll()) != null) {
            for (CompletableFuture<Void> f : w.futures()) {
                f.completeExceptionally(error);
            }
        }
    }
}
