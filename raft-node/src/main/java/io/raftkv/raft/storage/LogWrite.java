package io.raftkv.raft.storage;

import io.raftkv.proto.raft.Entry;
import io.raftkv.proto.raft.HardState;
import io.raftkv.proto.raft.SnapshotMetadata;
import java.util.List;
import java.util.Objects;

/**
 * What one Ready asks to persist, written as one atomic RocksDB batch: a snapshot received from the leader (its
 * metadata replaces the whole log), entries (replacing any stored entries from the first one's index on), and the hard
 * state. {@code sync} asks for an fsync before the write counts as done.
 *
 * @param snapshot the new log base, or null
 * @param hardState the new hard state, or null if unchanged
 */
public record LogWrite(SnapshotMetadata snapshot, List<Entry> entries, HardState hardState, boolean sync) {

    public LogWrite {
        Objects.requireNonNull(entries, "entries");
    }

    public static LogWrite of(List<Entry> entries, HardState hardState, boolean sync) {
        return new LogWrite(null, entries, hardState, sync);
    }

    /** Whether there is nothing to write. */
    public boolean isEmpty() {
        return snapshot == null && entries.isEmpty() && hardState == null;
    }
}
