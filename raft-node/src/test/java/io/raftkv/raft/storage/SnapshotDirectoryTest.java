package io.raftkv.raft.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.raftkv.proto.raft.ConfState;
import io.raftkv.proto.raft.SnapshotMetadata;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotDirectoryTest {
    private static final SnapshotMetadata META = SnapshotMetadata.newBuilder().setIndex(1234).setTerm(5)
            .setConfState(ConfState.newBuilder().addVoters("a").addVoters("b").addVoters("c")).build();

    @TempDir
    Path dir;

    private static byte[] body(int size) {
        byte[] bytes = new byte[size];
        new Random(size).nextBytes(bytes);
        return bytes;
    }

    private static byte[] readBody(SnapshotFile file) throws IOException {
        try (InputStream in = file.openBody()) {
            return in.readAllBytes();
        }
    }

    @Test
    void aWrittenSnapshotReadsBackAndVerifies() throws IOException {
        SnapshotDirectory store = SnapshotDirectory.open(dir);
        byte[] body = body(300_000);
        SnapshotFile written = store.write(META, out -> out.write(body));
        assertEquals(dir.resolve(SnapshotDirectory.fileName(META)), written.path());
        assertEquals(body.length, written.bodyLength());
        assertEquals(Files.size(written.path()), written.fileLength());
        assertArrayEquals(body, readBody(written));
        List<SnapshotFile> found = SnapshotDirectory.open(dir).verifyAll();
        assertEquals(1, found.size());
        assertEquals(META, found.get(0).metadata());
        assertArrayEquals(body, readBody(found.get(0)));
    }

    @Test
    void aDamagedSnapshotIsReportedByName() throws IOException {
        SnapshotDirectory store = SnapshotDirectory.open(dir);
        SnapshotFile written = store.write(META, out -> out.write(body(100_000)));
        RocksLogStorageTest.flipByte(written.path(), 50_000);
        CorruptStorageException e = assertThrows(CorruptStorageException.class, store::verifyAll);
        System.out.println("reported: " + e.getMessage());
        assertTrue(e.getMessage().contains(written.path().toString()) && e.getMessage().contains("checksum"),
                e.getMessage());
    }

    @Test
    void aHalfWrittenSnapshotIsReportedByName() throws IOException {
        SnapshotDirectory store = SnapshotDirectory.open(dir);
        SnapshotFile written = store.write(META, out -> out.write(body(100_000)));
        try (FileChannel channel = FileChannel.open(written.path(), StandardOpenOption.WRITE)) {
            channel.truncate(60_000);
        }
        CorruptStorageException e = assertThrows(CorruptStorageException.class, store::verifyAll);
        System.out.println("reported: " + e.getMessage());
        assertTrue(e.getMessage().contains(written.path().toString()), e.getMessage());
    }

    @Test
    void aSnapshotUnderAnotherNameIsReported() throws IOException {
        SnapshotDirectory store = SnapshotDirectory.open(dir);
        SnapshotFile written = store.write(META, out -> out.write(body(1000)));
        Path renamed = dir.resolve(SnapshotDirectory.fileName(META.toBuilder().setIndex(99).build()));
        Files.move(written.path(), renamed);
        CorruptStorageException e = assertThrows(CorruptStorageException.class, store::verifyAll);
        assertTrue(e.getMessage().contains(renamed.toString()), e.getMessage());
    }

    @Test
    void unfinishedTemporaryFilesAreRemovedAtOpen() throws IOException {
        Files.write(dir.resolve("incoming-1-1.tmp"), new byte[10]);
        SnapshotDirectory.open(dir);
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(0, files.count());
        }
    }

    @Test
    void aReceivedSnapshotIsCheckedAndInstalled() throws IOException {
        SnapshotDirectory sender = SnapshotDirectory.open(dir.resolve("sender"));
        SnapshotFile source = sender.write(META, out -> out.write(body(250_000)));
        byte[] wire = Files.readAllBytes(source.path());

        SnapshotDirectory receiver = SnapshotDirectory.open(dir.resolve("receiver"));
        SnapshotFile received;
        try (SnapshotDirectory.Incoming in = receiver.receive(META)) {
            for (int offset = 0; offset < wire.length; offset += 64 * 1024) {
                int n = Math.min(64 * 1024, wire.length - offset);
                in.write(offset, ByteString.copyFrom(wire, offset, n));
            }
            received = in.finish();
        }
        assertArrayEquals(readBody(source), readBody(received));
        assertEquals(1, receiver.verifyAll().size());
    }

    @Test
    void aReceivedSnapshotThatDoesNotCheckOutIsDiscarded() throws IOException {
        SnapshotDirectory sender = SnapshotDirectory.open(dir.resolve("sender"));
        SnapshotFile source = sender.write(META, out -> out.write(body(10_000)));
        byte[] wire = Files.readAllBytes(source.path());
        SnapshotDirectory receiver = SnapshotDirectory.open(dir.resolve("receiver"));

        // Cut short: fails its framing check.
        try (SnapshotDirectory.Incoming in = receiver.receive(META)) {
            in.write(0, ByteString.copyFrom(wire, 0, wire.length - 100));
            assertThrows(CorruptStorageException.class, in::finish);
        }
        // Announced as another snapshot than it is.
        try (SnapshotDirectory.Incoming in = receiver.receive(META.toBuilder().setIndex(1235).build())) {
            in.write(0, ByteString.copyFrom(wire));
            CorruptStorageException e = assertThrows(CorruptStorageException.class, in::finish);
            assertTrue(e.getMessage().contains("announced"), e.getMessage());
        }
        // Chunks out of order.
        try (SnapshotDirectory.Incoming in = receiver.receive(META)) {
            in.write(0, ByteString.copyFrom(wire, 0, 100));
            assertThrows(IOException.class, () -> in.write(200, ByteString.copyFrom(wire, 200, 100)));
        }
        try (Stream<Path> files = Files.list(dir.resolve("receiver"))) {
            assertFalse(files.findAny().isPresent(), "nothing is left behind");
        }
    }
}
