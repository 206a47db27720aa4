package io.raftkv.raft.api;

import io.raftkv.proto.raft.SnapshotMetadata;

/**
 * A state machine's state captured for a backup, with what it covers: the applied index, its term and the membership
 * there. Close it to release the capture.
 */
public record CapturedState(SnapshotMetadata metadata, SnapshotSource source) implements AutoCloseable {
    @Override
    public void close() {
        source.close();
    }
}
