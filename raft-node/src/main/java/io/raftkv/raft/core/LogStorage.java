package io.raftkv.raft.core;

import io.raftkv.proto.raft.ConfState;
import io.raftkv.proto.raft.Entry;
import io.raftkv.proto.raft.HardState;
import io.raftkv.proto.raft.SnapshotMetadata;
import java.util.List;
import java.util.Optional;

/**
 * Read access to what a node has durably persisted: the hard state, the log, and the latest snapshot's metadata.
 * The core only reads it; the runtime writes it while handling a {@link Ready} (and when it compacts the log), always
 * from the same thread that drives the {@link RawNode}, so implementations need no locking.
 *
 * <p>The log is a contiguous run of entries {@code [firstIndex, lastIndex]} preceded by a snapshot that covers
 * everything up to {@code firstIndex - 1}. On a fresh node the "snapshot" is index 0, term 0, so {@code firstIndex} is
 * 1 and {@code lastIndex} is 0.
 *
 * <p>Rules an implementation must follow:
 * <ul>
 *   <li>What it returns is exactly what the runtime wrote for earlier {@link Ready}s, whether or not the write has
 *       been flushed yet (a write buffered in the same process is fine); after a crash it returns what was fsynced.
 *   <li>Appending entries that start at index {@code i} replaces every entry at {@code i} or later.
 *   <li>Compaction only removes entries the state machine has applied (and made durable); installing a snapshot
 *       replaces the whole log.
 *   <li>{@link #term(long)} and {@link #entries} are only called within the bounds above; the core checks them.
 * </ul>
 */
public interface LogStorage {

    /** The persisted hard state (term, vote, commit) and membership, as found at startup. */
    InitialState initialState();

    /** The index of the first entry still in the log; the entry before it is covered by the snapshot. */
    long firstIndex();

    /** The index of the last entry the snapshot covers (0 if the log was never compacted): the entry before the log. */
    default long snapshotIndex() {
        return firstIndex() - 1;
    }

    /** The index of the last entry in the log, or the snapshot's index if the log after it is empty. */
    long lastIndex();

    /** The term of the entry at {@code index}, for {@code firstIndex() - 1 <= index <= lastIndex()}. */
    long term(long index);

    /**
     * Entries {@code [lo, hi)}, for {@code firstIndex() <= lo < hi <= lastIndex() + 1}, stopping early once their
     * serialized size would pass {@code maxBytes}; at least one entry is always returned.
     */
    List<Entry> entries(long lo, long hi, long maxBytes);

    /**
     * The metadata of the snapshot a leader should send to a follower that needs entries already compacted away. Its
     * index must be at least {@code firstIndex() - 1}, at most the commit index, and the runtime must be able to
     * supply the matching state-machine bytes. Empty means "not available right now" (for example, still being
     * captured): the leader asks again on a later heartbeat.
     */
    Optional<SnapshotMetadata> snapshot();

    /** The durable state a node restarts from. */
    record InitialState(HardState hardState, ConfState confState) {}
}
