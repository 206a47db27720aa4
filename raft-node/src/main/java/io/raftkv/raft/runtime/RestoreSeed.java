package io.raftkv.raft.runtime;

import io.raftkv.common.backup.BackupFile;
import io.raftkv.proto.raft.ConfState;
import io.raftkv.proto.raft.HardState;
import io.raftkv.proto.raft.SnapshotMetadata;
import io.raftkv.raft.storage.LogWrite;
import io.raftkv.raft.storage.NodeStorage;
import io.raftkv.raft.storage.SnapshotDirectory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Starts a new node's storage from a backup (a restore): the backup's state becomes the snapshot its log starts after,
 * under the membership the new cluster is started with, and the term and commit index are the backup's. The node then
 * starts as after receiving that snapshot from a leader: it restores its state machine from the file.
 */
final class RestoreSeed {
    private RestoreSeed() {}

    /** Whether {@code raftDir} holds no log yet, so a backup may seed it. */
    static boolean isNew(Path raftDir) {
        return !Files.exists(raftDir.resolve("log"));
    }

    /** Writes the snapshot file of {@code backup}'s state, then makes it the base of the (new, empty) log. */
    static void plant(BackupFile backup, ConfState members, SnapshotDirectory snapshots, NodeStorage storage)
            throws IOException {
        SnapshotMetadata base = SnapshotMetadata.newBuilder().setIndex(backup.header().index())
                .setTerm(backup.header().term()).setConfState(members).build();
        try (InputStream body = backup.openBody()) {
            snapshots.write(base, body::transferTo);
        }
        var write = storage.plan(new LogWrite(base, List.of(),
                HardState.newBuilder().setTerm(base.getTerm()).setCommit(base.getIndex()).build(), true));
        storage.execute(write);
        storage.publish(write);
    }
}
