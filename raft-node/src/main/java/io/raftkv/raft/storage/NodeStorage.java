package io.raftkv.raft.storage;

import io.raftkv.proto.raft.ConfState;
import io.raftkv.proto.raft.HardState;
import io.raftkv.proto.raft.SnapshotMetadata;
import io.raftkv.raft.core.LogStorage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A node's durable Raft state as the runtime sees it: the {@link LogStorage} the core reads, plus the writes the
 * runtime makes while handling a Ready (planned and published on the event loop, executed on the persister thread),
 * compaction, and what it reports. {@link RocksLogStorage} is the implementation; the runtime names only this.
 */
public interface NodeStorage extends LogStorage, AutoCloseable {

    /** A write planned against the current view: {@link #execute} it, then {@link #publish} it. */
    interface PendingWrite {
        LogWrite write();

        /** How long the write (and its fsync) took, once executed. */
        long writeNanos();
    }

    /** Plans a write against the current view (on the owner thread). */
    PendingWrite plan(LogWrite write);

    /** Performs a planned write, with an fsync if it asks for one. May run on any thread, one write at a time. */
    void execute(PendingWrite pending) throws IOException;

    /** Makes an executed write visible to readers (on the owner thread). */
    void publish(PendingWrite pending);

    /**
     * Drops the entries up to and including {@code index} (applied and made durable by the state machine) and makes
     * {@code index} the log's base, recording {@code membership}, the membership in effect there. Call only while no
     * write is in flight.
     */
    void compact(long index, ConfState membership) throws IOException;

    /** The snapshot metadata the log starts after (index 0 for a log that was never compacted). */
    SnapshotMetadata base();

    HardState hardState();

    /** The serialized size of the entries in the log. */
    long logBytes();

    /** The smallest index such that the entries after it take at most {@code maxBytes}. */
    long indexKeepingAtMost(long maxBytes);

    /** Who answers {@link #snapshot()}: the runtime, which knows which snapshot files exist. */
    void setSnapshotOffer(Supplier<Optional<SnapshotMetadata>> offer);

    /** Where the storage lives, for messages. */
    Path dir();

    @Override
    void close();
}
