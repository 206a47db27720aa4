package io.raftkv.kv.state;

import static io.raftkv.kv.state.Feeder.append;
import static io.raftkv.kv.state.Feeder.bytes;
import static io.raftkv.kv.state.Feeder.put;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.kv.plain.PlainKvRules;
import io.raftkv.proto.kv.KvCommand;
import io.raftkv.raft.api.SnapshotSource;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotTest {
    private static final Duration TTL = Duration.ofHours(1);

    @TempDir
    Path dir;

    /** Writes {@code count} random binary keys and values through 100 clients; returns what the state should be. */
    private static Map<ByteBuffer, byte[]> fill(Feeder feed, int count, long seed) {
        Random random = new Random(seed);
        Map<ByteBuffer, byte[]> expected = new HashMap<>();
        long[] sequences = new long[100];
        for (int done = 0; done < count; ) {
            int batchSize = Math.min(500, count - done);
            byte[][] batch = new byte[batchSize][];
            for (int i = 0; i < batchSize; i++) {
                byte[] key = new byte[1 + random.nextInt(32)];
                random.nextBytes(key);
                if (i % 3 == 0) {
                    key[0] = 0; // some keys start with a zero byte
                }
                byte[] value = new byte[random.nextInt(1_500)];
                random.nextBytes(value);
                int client = random.nextInt(sequences.length);
                batch[i] = Feeder.command(client + 1, ++sequences[client], KvCommand.Op.PUT, key, value, 1_000);
                expected.put(ByteBuffer.wrap(key), value);
            }
            feed.apply(batch);
            done += batchSize;
        }
        return expected;
    }

    private static void assertHolds(KvStateMachine machine, Map<ByteBuffer, byte[]> expected) {
        for (Map.Entry<ByteBuffer, byte[]> entry : expected.entrySet()) {
            assertArrayEquals(entry.getValue(), machine.get(entry.getKey().array()),
                    () -> "value of key " + Arrays.toString(entry.getKey().array()));
        }
    }

    private static byte[] archive(SnapshotSource source) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        source.writeTo(out);
        return out.toByteArray();
    }

    private static long countDirs(Path root, String prefix) throws IOException {
        try (Stream<Path> entries = Files.list(root)) {
            return entries.filter(p -> p.getFileName().toString().startsWith(prefix)).count();
        }
    }

    @Test
    void roundTripOfTenThousandBinaryKeysWithSessions() throws IOException {
        try (KvStateMachine source = PlainKvRules.openState(dir.resolve("source"), TTL);
                KvStateMachine target = PlainKvRules.openState(dir.resolve("target"), TTL)) {
            Feeder feed = new Feeder(source);
            Map<ByteBuffer, byte[]> expected = fill(feed, 10_000, 1);
            byte[] retried = append(5_000, 1, "counter", "+", 2_000);
            feed.apply(retried);
            long index = source.appliedIndex();
            int sessions = source.sessionCount();

            byte[] snapshot;
            try (SnapshotSource capture = source.captureSnapshot()) {
                assertEquals(index, capture.index());
                // Applying goes on after the capture; the capture does not move.
                feed.apply(put(1, 1_000_000, "later", "x", 3_000), append(5_000, 2, "counter", "+", 3_000));
                snapshot = archive(capture);
                assertArrayEquals(snapshot, archive(capture), "a capture can be written again, identically");
            }
            assertEquals(0, countDirs(dir.resolve("source").resolve("checkpoints"), "snapshot-"),
                    "closing the capture deletes its checkpoint");

            Feeder targetFeed = new Feeder(target);
            targetFeed.apply(put(77, 1, "only-in-target", "x", 1_000));
            target.restoreSnapshot(index, 3, new ByteArrayInputStream(snapshot));

            assertEquals(index, target.appliedIndex());
            assertEquals(sessions, target.sessionCount());
            assertHolds(target, expected);
            assertArrayEquals(bytes("+"), target.get(bytes("counter")));
            assertNull(target.get(bytes("later")), "written after the capture");
            assertNull(target.get(bytes("only-in-target")), "the snapshot replaces the whole state");

            // The duplicate table came along: the retried append is still recognized.
            Feeder afterRestore = new Feeder(target);
            afterRestore.apply(retried);
            assertArrayEquals(bytes("+"), target.get(bytes("counter")));
            afterRestore.apply(append(5_000, 2, "counter", "+", 3_000));
            assertArrayEquals(bytes("++"), target.get(bytes("counter")));
        }
        // And it all survives a restart, with nothing left over from the swap.
        try (KvStateMachine target = PlainKvRules.openState(dir.resolve("target"), TTL)) {
            assertArrayEquals(bytes("++"), target.get(bytes("counter")));
            assertEquals(1, countDirs(dir.resolve("target"), "state-"));
            assertEquals(0, countDirs(dir.resolve("target"), "incoming-"));
        }
    }

    @Test
    void aCorruptArchiveIsRefusedNamingTheFileAndLeavesTheStateAlone() throws IOException {
        byte[] snapshot;
        long index;
        try (KvStateMachine source = PlainKvRules.openState(dir.resolve("source"), TTL)) {
            fill(new Feeder(source), 2_000, 2);
            index = source.appliedIndex();
            try (SnapshotSource capture = source.captureSnapshot()) {
                snapshot = archive(capture);
            }
        }
        Path targetDir = dir.resolve("target");
        try (KvStateMachine target = PlainKvRules.openState(targetDir, TTL)) {
            Feeder feed = new Feeder(target);
            feed.apply(put(1, 1, "mine", "v", 1));

            byte[] flipped = snapshot.clone();
            flipped[flipped.length / 2] ^= 0x40;
            IOException corrupt = assertThrows(IOException.class,
                    () -> target.restoreSnapshot(index, 1, new ByteArrayInputStream(flipped)));
            assertTrue(corrupt.getMessage().matches(".*checksum mismatch in file \\S+\\.sst.*"), corrupt.getMessage());

            byte[] truncated = Arrays.copyOf(snapshot, snapshot.length - 100);
            IOException cut = assertThrows(IOException.class,
                    () -> target.restoreSnapshot(index, 1, new ByteArrayInputStream(truncated)));
            assertTrue(cut.getMessage().contains("truncated in file"), cut.getMessage());

            IOException garbage = assertThrows(IOException.class,
                    () -> target.restoreSnapshot(index, 1, new ByteArrayInputStream(bytes("hello, world!"))));
            assertTrue(garbage.getMessage().contains("not a raftkv snapshot archive"), garbage.getMessage());

            IOException wrongIndex = assertThrows(IOException.class,
                    () -> target.restoreSnapshot(index + 1, 1, new ByteArrayInputStream(snapshot)));
            assertTrue(wrongIndex.getMessage().contains("covers index " + index), wrongIndex.getMessage());

            // Nothing changed, nothing left behind, and the machine goes on working.
            assertArrayEquals(bytes("v"), target.get(bytes("mine")));
            assertEquals(1, target.appliedIndex());
            assertEquals(1, countDirs(targetDir, "state-"));
            assertEquals(0, countDirs(targetDir, "incoming-"));
            feed.apply(put(1, 2, "mine", "w", 1));
            assertArrayEquals(bytes("w"), target.get(bytes("mine")));

            target.restoreSnapshot(index, 1, new ByteArrayInputStream(snapshot));
            assertEquals(index, target.appliedIndex());
            assertNull(target.get(bytes("mine")));
        }
    }

    @Test
    void snapshotsCanBeRestoredOneAfterAnother() throws IOException {
        try (KvStateMachine source = PlainKvRules.openState(dir.resolve("source"), TTL);
                KvStateMachine target = PlainKvRules.openState(dir.resolve("target"), TTL)) {
            Feeder feed = new Feeder(source);
            for (int round = 1; round <= 3; round++) {
                feed.apply(put(1, round, "round", Integer.toString(round), 1_000));
                try (SnapshotSource capture = source.captureSnapshot()) {
                    target.restoreSnapshot(capture.index(), 1, new ByteArrayInputStream(archive(capture)));
                }
                assertArrayEquals(bytes(Integer.toString(round)), target.get(bytes("round")));
            }
            assertEquals(1, countDirs(dir.resolve("target"), "state-"), "replaced states are deleted");
        }
    }

    @Test
    void aClosedCaptureCannotBeWritten() throws IOException {
        try (KvStateMachine machine = PlainKvRules.openState(dir, TTL)) {
            new Feeder(machine).apply(put(1, 1, "k", "v", 1));
            SnapshotSource capture = machine.captureSnapshot();
            capture.close();
            assertThrows(IOException.class, () -> capture.writeTo(new ByteArrayOutputStream()));
            capture.close();
        }
    }

    @Test
    void leftoverCheckpointsAndUnpackedSnapshotsAreRemovedAtOpen() throws IOException {
        try (KvStateMachine machine = PlainKvRules.openState(dir, TTL)) {
            new Feeder(machine).apply(put(1, 1, "k", "v", 1));
        }
        // What a process killed while streaming a capture, or while unpacking one, leaves behind.
        Files.createDirectories(dir.resolve("checkpoints").resolve("snapshot-1-1"));
        Files.writeString(dir.resolve("checkpoints").resolve("snapshot-1-1").resolve("000001.sst"), "x");
        Files.createDirectories(dir.resolve("incoming-00000002"));
        Files.writeString(dir.resolve("incoming-00000002").resolve("CURRENT"), "x");
        try (KvStateMachine machine = PlainKvRules.openState(dir, TTL)) {
            assertArrayEquals(bytes("v"), machine.get(bytes("k")));
            assertFalse(Files.exists(dir.resolve("checkpoints")));
            assertFalse(Files.exists(dir.resolve("incoming-00000002")));
        }
    }
}
