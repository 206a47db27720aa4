package io.raftkv.raft.runtime;

import io.raftkv.raft.storage.NodeStorage;

/**
 * Performs a Ready's synced write away from the {@link CoreDriver}'s thread, so the driver goes on taking messages
 * and proposals for the next Ready meanwhile; when the write is done (or failed) the executor reports it back to the
 * driver's thread, which calls {@link CoreDriver#writeDone}. At most one write is in flight.
 */
interface WriteExecutor {
    void submit(NodeStorage.PendingWrite write);
}
