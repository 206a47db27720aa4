package io.raftkv.raft.sim;

import io.raftkv.proto.raft.ConfState;
import io.raftkv.proto.raft.Entry;
import io.raftkv.proto.raft.HardState;
import io.raftkv.proto.raft.SnapshotMetadata;
import io.raftkv.raft.core.MemoryStorage;
import io.raftkv.raft.storage.LogWrite;
import io.raftkv.raft.storage.NodeStorage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * A node's simulated disk for its Raft log, behind the same {@link NodeStorage} the runtime writes through. The
 * running node reads what it wrote. The disk holds what was fsynced, plus, like an operating system's page cache, what
 * was written since: a crash of the process keeps those writes, but a machine that loses power loses them, and a
 * write being flushed at that moment may tear (a prefix of the unsynced writes survives, as a log's recovery keeps
 * the records before a torn one). A write the runtime planned but never executed (its fsync was under way) is lost.
 */
final class SimLogStorage implements NodeStorage {
    /** One change to the log since the last fsync: a write, or a compaction up to an index. */
    private record Change(LogWrite write, long compactTo, ConfState membership) {}

    private record Planned(LogWrite write) implements PendingWrite {
        @Override
        public long writeNanos() {
            return 0;
        }
    }

    /** What survives any crash. */
    private final MemoryStorage synced;
    private final List<Change> unsynced = new ArrayList<>();
    /** What the running node has written (null while it is down). */
    private MemoryStorage view;
    private Supplier<Optional<SnapshotMetadata>> offer = Optional::empty;
    private Consumer<LogWrite> onWrite = w -> { };
    /** A disk that acknowledges fsyncs without syncing (mutation tests only). */
    private boolean ignoreSync;

    SimLogStorage(ConfState initialMembership) {
        this.synced = new MemoryStorage(initialMembership);
        this.view = synced.copy();
    }

    /** The log the node sees (what it wrote, synced or not). */
    MemoryStorage view() {
        return view;
    }

    /** The synced part of the disk: what a power loss would leave. */
    MemoryStorage synced() {
        return synced;
    }

    /** Writes made since the last fsync. */
    int unsyncedWrites() {
        return unsynced.size();
    }

    /**
     * The process dies: the disk keeps what {@code loss} lets it keep of the writes since the last fsync, and the
     * next incarnation reads exactly that.
     */
    void crash(CrashLoss loss, RandomGenerator random) {
        int keep = switch (loss) {
            case NONE -> unsynced.size();
            case UNSYNCED_TAIL -> 0;
            case TORN_TAIL -> unsynced.isEmpty() ? 0 : random.nextInt(unsynced.size() + 1);
        };
        for (int k = 0; k < keep; k++) {
            apply(synced, unsynced.get(k));
        }
        unsynced.clear();
        view = synced.copy();
    }

    /** Runs {@code listener} after every write the node makes, with the write (its view already holds it). */
    void onWrite(Consumer<LogWrite> listener) {
        this.onWrite = listener;
    }

    /** Makes fsync a no-op, as a disk that lies about it would (mutation tests only). */
    void ignoreSync(boolean on) {
        this.ignoreSync = on;
    }

    /** Rewrites the stored hard state, as a buggy node might on restart (mutation tests only). */
    void overwriteHardState(HardState state) {
        synced.setHardState(state);
        view.setHardState(state);
    }

    // ---------------------------------------------------------------- NodeStorage

    @Override
    public PendingWrite plan(LogWrite write) {
        return new Planned(write);
    }

    @Override
    public void execute(PendingWrite pending) {
        LogWrite write = pending.write();
        Change change = new Change(write, -1, null);
        apply(view, change);
        unsynced.add(change);
        if (write.sync() && !ignoreSync) {
            flush();
        }
        onWrite.accept(write);
    }

    @Override
    public void publish(PendingWrite pending) {
        // the view already holds it: the simulated write and its completion happen in one step
    }

    @Override
    public void compact(long index, ConfState membership) {
        Change change = new Change(null, index, membership);
        apply(view, change);
        unsynced.add(change);
    }

    /** Makes every write so far durable, as an fsync does. */
    void flush() {
        for (Change c : unsynced) {
            apply(synced, c);
        }
        unsynced.clear();
    }

    private static void apply(MemoryStorage storage, Change change) {
        if (change.write() == null) {
            storage.compact(change.compactTo(), change.membership());
            return;
        }
        LogWrite write = change.write();
        if (write.snapshot() != null) {
            storage.applySnapshot(write.snapshot());
        }
        storage.append(write.entries());
        if (write.hardState() != null) {
            storage.setHardState(write.hardState());
        }
    }

    @Override
    public SnapshotMetadata base() {
        return view.snapshotMetadata();
    }

    @Override
    public HardState hardState() {
        return view.hardState();
    }

    @Override
    public long logBytes() {
        return view.sizeInBytes();
    }

    @Override
    public long indexKeepingAtMost(long maxBytes) {
        long index = view.lastIndex();
        long bytes = 0;
        while (index >= view.firstIndex()) {
            bytes += view.entries(index, index + 1, Long.MAX_VALUE).get(0).getSerializedSize();
            if (bytes > maxBytes) {
                return index;
            }
            index--;
        }
        return view.snapshotIndex();
    }

    @Override
    public void setSnapshotOffer(Supplier<Optional<SnapshotMetadata>> offer) {
        this.offer = offer;
    }

    @Override
    public Path dir() {
        return Path.of("simulated");
    }

    @Override
    public void close() {
    }

    // ---------------------------------------------------------------- LogStorage

    @Override
    public InitialState initialState() {
        return view.initialState(); // the membership its log base records, as the real storage's
    }

    @Override
    public long firstIndex() {
        return view.firstIndex();
    }

    @Override
    public long lastIndex() {
        return view.lastIndex();
    }

    @Override
    public long term(long index) {
        return view.term(index);
    }

    @Override
    public List<Entry> entries(long lo, long hi, long maxBytes) {
        return view.entries(lo, hi, maxBytes);
    }

    @Override
    public Optional<SnapshotMetadata> snapshot() {
        return offer.get();
    }
}
