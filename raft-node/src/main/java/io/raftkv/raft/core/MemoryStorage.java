package io.raftkv.raft.core;

import io.raftkv.proto.raft.ConfState;
import io.raftkv.proto.raft.Entry;
import io.raftkv.proto.raft.HardState;
import io.raftkv.proto.raft.SnapshotMetadata;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A {@link LogStorage} held in memory, with the writes a runtime performs while handling a {@link Ready}. Used by the
 * unit tests and by the simulator, where "what the node persisted" is exactly the content of this object. Not thread
 * safe: one owner drives it, like the node it serves.
 */
public final class MemoryStorage implements LogStorage {
    private HardState hardState = HardState.getDefaultInstance();
    private SnapshotMetadata snapshot;
    /** Entries after the snapshot: {@code entries.get(k)} has index {@code snapshot.getIndex() + 1 + k}. */
    private final ArrayList<Entry> entries = new ArrayList<>();
    private long entryBytes;

    /** An empty log whose membership is unknown until a snapshot or the node's configuration supplies it. */
    public MemoryStorage() {
        this(ConfState.getDefaultInstance());
    }

    /** An empty log for a cluster of the given membership (recorded in snapshots taken by {@link #compact}). */
    public MemoryStorage(ConfState confState) {
        this.snapshot = SnapshotMetadata.newBuilder().setConfState(confState).build();
    }

    @Override
    public InitialState initialState() {
        return new InitialState(hardState, snapshot.getConfState());
    }

    @Override
    public long firstIndex() {
        return snapshot.getIndex() + 1;
    }

    @Override
    public long lastIndex() {
        return snapshot.getIndex() + entries.size();
    }

    @Override
    public long term(long index) {
        long snapIndex = snapshot.getIndex();
        if (index == snapIndex) {
            return snapshot.getTerm();
        }
        if (index < snapIndex || index > lastIndex()) {
            throw new IllegalArgumentException("index " + index + " outside [" + snapIndex + ", " + lastIndex() + "]");
        }
        return entries.get(position(index)).getTerm();
    }

    @Override
    public List<Entry> entries(long lo, long hi, long maxBytes) {
        if (lo < firstIndex() || hi > lastIndex() + 1 || lo >= hi) {
            throw new IllegalArgumentException("range [" + lo + ", " + hi + ") outside [" + firstIndex() + ", "
                    + (lastIndex() + 1) + ")");
        }
        int from = position(lo);
        int to = position(hi);
        ArrayList<Entry> out = new ArrayList<>(Math.min(to - from, 64));
        long bytes = 0;
        for (int k = from; k < to; k++) {
            Entry e = entries.get(k);
            bytes += e.getSerializedSize();
            if (!out.isEmpty() && bytes > maxBytes) {
                break;
            }
            out.add(e);
        }
        return out;
    }

    @Override
    public Optional<SnapshotMetadata> snapshot() {
        return Optional.of(snapshot);
    }

    /** The hard state last written. */
    public HardState hardState() {
        return hardState;
    }

    /** The latest snapshot's metadata (index 0 if none). */
    public SnapshotMetadata snapshotMetadata() {
        return snapshot;
    }

    public void setHardState(HardState state) {
        this.hardState = Objects.requireNonNull(state);
    }

    /**
     * Appends entries that must follow the log without a gap; entries already present from the first new index on
     * are replaced (a leader overwrote a conflicting suffix). Entries at or below the snapshot are skipped.
     */
    public void append(List<Entry> newEntries) {
        if (newEntries.isEmpty()) {
            return;
        }
        long first = newEntries.get(0).getIndex();
        for (int k = 1; k < newEntries.size(); k++) {
            if (newEntries.get(k).getIndex() != first + k) {
                throw new IllegalArgumentException("entries are not contiguous at " + newEntries.get(k).getIndex());
            }
        }
        if (first > lastIndex() + 1) {
            throw new IllegalArgumentException("gap: appending at " + first + " after last index " + lastIndex());
        }
        int skip = (int) Math.max(0, firstIndex() - first);
        if (skip >= newEntries.size()) {
            return;
        }
        truncateFrom(first + skip);
        for (int k = skip; k < newEntries.size(); k++) {
            Entry e = newEntries.get(k);
            entries.add(e);
            entryBytes += e.getSerializedSize();
        }
    }

    /**
     * Replaces the whole log with a snapshot received from the leader: afterwards the log is empty and starts after
     * {@code metadata.index}. A snapshot older than the current one is refused.
     */
    public void applySnapshot(SnapshotMetadata metadata) {
        if (metadata.getIndex() < snapshot.getIndex()) {
            throw new IllegalArgumentException("snapshot at " + metadata.getIndex()
                    + " is older than the current one at " + snapshot.getIndex());
        }
        snapshot = metadata;
        entries.clear();
        entryBytes = 0;
    }

    /**
     * Drops entries up to and including {@code index}, recording a snapshot at that index with the given membership.
     * The caller guarantees the state machine has applied (and made durable) everything up to {@code index}.
     */
    public void compact(long index, ConfState confState) {
        if (index <= snapshot.getIndex()) {
            return;
        }
        if (index > lastIndex()) {
            throw new IllegalArgumentException("compact to " + index + " beyond last index " + lastIndex());
        }
        long term = term(index);
        int drop = position(index) + 1;
        List<Entry> dropped = entries.subList(0, drop);
        for (Entry e : dropped) {
            entryBytes -= e.getSerializedSize();
        }
        dropped.clear();
        snapshot = SnapshotMetadata.newBuilder().setIndex(index).setTerm(term).setConfState(confState).build();
    }

    /** Compacts to {@code index}, keeping the membership of the current snapshot. */
    public void compact(long index) {
        compact(index, snapshot.getConfState());
    }

    /** What the persisted Raft state costs in bytes: the log entries, the hard state and the snapshot metadata. */
    public long sizeInBytes() {
        return entryBytes + hardState.getSerializedSize() + snapshot.getSerializedSize();
    }

    /** A deep copy (the values are immutable, so copying the list suffices). */
    public MemoryStorage copy() {
        MemoryStorage c = new MemoryStorage(snapshot.getConfState());
        c.hardState = hardState;
        c.snapshot = snapshot;
        c.entries.addAll(entries);
        c.entryBytes = entryBytes;
        return c;
    }

    private void truncateFrom(long index) {
        int from = position(index);
        if (from < entries.size()) {
            List<Entry> tail = entries.subList(from, entries.size());
            for (Entry e : tail) {
                entryBytes -= e.getSerializedSize();
            }
            tail.clear();
        }
    }

    private int position(long index) {
        return RaftLog.position(RaftLog.firstIndexAfter(snapshot.getIndex()), index);
    }
}
