package io.raftkv.kv.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.kv.plain.PlainKvRules;
import io.raftkv.kv.shardkv.ShardGroupReplica;
import io.raftkv.raft.api.SnapshotSource;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;

/**
 * What a state directory holds is checked before it is used. The state format changed once (1 to 2: the request
 * header, the controller on this engine): a directory of format 1 is refused with a message naming both formats, and
 * left as it was, never read as format 2. A directory or snapshot of another service is refused too.
 */
class StateFormatTest {
    private static final Duration TTL = Duration.ofHours(1);

    static {
        RocksDB.loadLibrary();
    }

    @TempDir
    Path dir;

    @Test
    void aKvStateOfFormatOneIsRefusedNamingBothFormats() throws Exception {
        try (KvStateMachine machine = PlainKvRules.openState(dir, TTL)) {
            new Feeder(machine).apply(Feeder.put(1, 1, "k", "v", 1));
        }
        // What format 1 wrote is this layout with marker 1: the marker is what tells them apart.
        long generation = new StateDirectory(dir).activeGeneration();
        KvDb db = KvDb.open(new StateDirectory(dir).stateDir(generation), false);
        try {
            db.db().put(db.meta, "format".getBytes(StandardCharsets.UTF_8), Codec.encodeLong(1));
        } finally {
            db.release();
        }
        IOException error = assertThrows(IOException.class, () -> PlainKvRules.openState(dir, TTL).close());
        assertTrue(error.getMessage().contains("format 1") && error.getMessage().contains("format 2"),
                error.getMessage());
        assertEquals(1, error.getMessage().lines().count(), error.getMessage());
        KvDb reopened = KvDb.open(new StateDirectory(dir).stateDir(generation), false);
        try {
            byte[] marker = reopened.db().get(reopened.meta, "format".getBytes(StandardCharsets.UTF_8));
            assertEquals(1, Codec.decodeLong(marker, "the marker"), "the refused state keeps its format marker");
        } finally {
            reopened.release();
        }
    }

    @Test
    void theShardControllersFormatOneDatabaseIsRefusedAndLeftAsItWas() throws Exception {
        // Format 1's controller kept one RocksDB database at the top of its directory, keys prefixed m, c and s.
        try (Options options = new Options().setCreateIfMissing(true);
                RocksDB old = RocksDB.open(options, dir.toString())) {
            old.put(key('m', "format"), Codec.encodeLong(1));
            old.put(key('m', "shards"), Codec.encodeLong(10));
        }
        List<Path> before = listing(dir);
        IOException error = assertThrows(IOException.class, () -> PlainKvRules.openState(dir, TTL).close());
        assertTrue(error.getMessage().contains("format 1") && error.getMessage().contains("format 2"),
                error.getMessage());
        assertEquals(1, error.getMessage().lines().count(), error.getMessage());
        assertEquals(before, listing(dir), "nothing was created, moved or deleted");
    }

    @Test
    void aDirectoryOrSnapshotOfAnotherServiceIsRefused() throws Exception {
        Path plain = dir.resolve("plain");
        PlainKvRules.openState(plain, TTL).close();
        IOException opened = assertThrows(IOException.class, () -> ShardGroupReplica.open(plain, 100, TTL).close());
        assertTrue(opened.getMessage().contains("holds kv state; this node keeps shard-group state"),
                opened.getMessage());

        try (KvStateMachine source = PlainKvRules.openState(dir.resolve("source"), TTL);
                ShardGroupReplica group = ShardGroupReplica.open(dir.resolve("group"), 100, TTL)) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (SnapshotSource snapshot = source.captureSnapshot()) {
                snapshot.writeTo(bytes);
            }
            IOException restored = assertThrows(IOException.class, () -> group.machine().restoreSnapshot(0, 1,
                    new ByteArrayInputStream(bytes.toByteArray())));
            assertTrue(restored.getMessage().contains("holds kv state"), restored.getMessage());
            assertEquals(0, group.view().configNum(), "the group's own state stays");
        }
    }

    private static byte[] key(char prefix, String name) {
        return (prefix + name).getBytes(StandardCharsets.UTF_8);
    }

    private static List<Path> listing(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            return files.map(root::relativize).sorted().toList();
        }
    }
}
