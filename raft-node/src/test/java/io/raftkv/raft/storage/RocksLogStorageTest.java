package io.raftkv.raft.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.raftkv.proto.raft.ConfState;
import io.raftkv.proto.raft.Entry;
import io.raftkv.proto.raft.HardState;
import io.raftkv.proto.raft.SnapshotMetadata;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;

class RocksLogStorageTest {
    private static final ConfState WITH_LEARNER = ConfState.newBuilder().addVoters("a").addVoters("b")
            .addVoters("c").addLearners("d").build();
    private static final ConfState VOTERS = ConfState.newBuilder().addVoters("a").addVoters("b").addVoters("c")
            .build();

    @TempDir
    Path dir;

    static Entry entry(long index, long term) {
        return Entry.newBuilder().setIndex(index).setTerm(term)
                .setData(ByteString.copyFromUtf8("entry-" + index + "-" + term)).build();
    }

    static List<Entry> entries(long from, long to, long term) {
        List<Entry> out = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            out.add(entry(i, term));
        }
        return out;
    }

    private Path db() {
        return dir.resolve("log");
    }

    private RocksLogStorage open() throws IOException {
        return RocksLogStorage.open(db(), VOTERS);
    }

    private static long bytes(List<Entry> entries) {
        return entries.stream().mapToLong(Entry::getSerializedSize).sum();
    }

    @Test
    void aNewLogIsEmptyWithTheConfiguredVoters() throws IOException {
        try (RocksLogStorage log = open()) {
            assertEquals(1, log.firstIndex());
            assertEquals(0, log.lastIndex());
            assertEquals(0, log.term(0));
            assertEquals(HardState.getDefaultInstance(), log.initialState().hardState());
            assertEquals(VOTERS, log.initialState().confState());
            assertEquals(0, log.logBytes());
        }
    }

    @Test
    void entriesAndHardStateSurviveARestart() throws IOException {
        List<Entry> written = entries(1, 100, 1);
        HardState hs = HardState.newBuilder().setTerm(1).setVote("a").setCommit(90).build();
        try (RocksLogStorage log = open()) {
            log.write(LogWrite.of(written.subList(0, 60), null, true));
            log.write(LogWrite.of(written.subList(60, 100), hs, true));
            assertEquals(written, log.entries(1, 101, Long.MAX_VALUE));
            assertEquals(bytes(written), log.logBytes());
        }
        try (RocksLogStorage log = open()) {
            assertEquals(1, log.firstIndex());
            assertEquals(100, log.lastIndex());
            assertEquals(hs, log.initialState().hardState());
            assertEquals(written, log.entries(1, 101, Long.MAX_VALUE));
            assertEquals(written.subList(9, 20), log.entries(10, 21, Long.MAX_VALUE));
            assertEquals(1, log.term(57));
            assertEquals(bytes(written), log.logBytes());
        }
    }

    @Test
    void entriesStopAtTheByteLimitButReturnAtLeastOne() throws IOException {
        try (RocksLogStorage log = open()) {
            List<Entry> written = entries(1, 50, 2);
            log.write(LogWrite.of(written, null, true));
            long size = written.get(0).getSerializedSize();
            assertEquals(1, log.entries(1, 51, 1).size());
            assertEquals(3, log.entries(1, 51, size * 3).size());
        }
        try (RocksLogStorage log = open()) { // now read from RocksDB rather than the in-memory tail
            long size = entry(1, 2).getSerializedSize();
            assertEquals(1, log.entries(1, 51, 1).size());
            assertEquals(3, log.entries(1, 51, size * 3).size());
        }
    }

    @Test
    void appendingInsideTheLogReplacesTheSuffix() throws IOException {
        try (RocksLogStorage log = open()) {
            log.write(LogWrite.of(entries(1, 10, 1), null, true));
            log.write(LogWrite.of(entries(6, 8, 2), null, true));
            assertEquals(8, log.lastIndex());
            assertEquals(2, log.term(6));
            assertEquals(1, log.term(5));
            assertEquals(bytes(entries(1, 5, 1)) + bytes(entries(6, 8, 2)), log.logBytes());
        }
        try (RocksLogStorage log = open()) {
            assertEquals(8, log.lastIndex(), "entries 9 and 10 are gone for good");
            List<Entry> expected = new ArrayList<>(entries(1, 5, 1));
            expected.addAll(entries(6, 8, 2));
            assertEquals(expected, log.entries(1, 9, Long.MAX_VALUE));
        }
    }

    @Test
    void compactionDropsThePrefixAndRecordsTheBase() throws IOException {
        try (RocksLogStorage log = open()) {
            log.write(LogWrite.of(entries(1, 100, 3), null, true));
            log.compact(60, WITH_LEARNER); // the membership at 60, which the new base records
            assertEquals(61, log.firstIndex());
            assertEquals(3, log.term(60));
            assertEquals(bytes(entries(61, 100, 3)), log.logBytes());
            assertEquals(entries(61, 100, 3), log.entries(61, 101, Long.MAX_VALUE));
            log.compact(50, VOTERS); // already compacted further: nothing happens
            assertEquals(61, log.firstIndex());
            assertThrows(IllegalArgumentException.class, () -> log.entries(60, 62, Long.MAX_VALUE));
        }
        try (RocksLogStorage log = open()) {
            assertEquals(61, log.firstIndex());
            assertEquals(100, log.lastIndex());
            assertEquals(SnapshotMetadata.newBuilder().setIndex(60).setTerm(3).setConfState(WITH_LEARNER).build(),
                    log.base());
            assertEquals(WITH_LEARNER, log.initialState().confState());
            assertEquals(entries(61, 100, 3), log.entries(61, 101, Long.MAX_VALUE));
            assertEquals(bytes(entries(61, 100, 3)), log.logBytes());
        }
    }

    @Test
    void aSnapshotFromTheLeaderReplacesTheWholeLog() throws IOException {
        SnapshotMetadata snapshot = SnapshotMetadata.newBuilder().setIndex(500).setTerm(7).setConfState(VOTERS)
                .build();
        HardState hs = HardState.newBuilder().setTerm(7).setCommit(500).build();
        try (RocksLogStorage log = open()) {
            log.write(LogWrite.of(entries(1, 20, 1), null, true));
            log.write(new LogWrite(snapshot, entries(501, 505, 7), hs, true));
            assertEquals(501, log.firstIndex());
            assertEquals(505, log.lastIndex());
            assertEquals(7, log.term(500));
        }
        try (RocksLogStorage log = open()) {
            assertEquals(snapshot, log.base());
            assertEquals(505, log.lastIndex());
            assertEquals(hs, log.initialState().hardState());
            assertEquals(entries(501, 505, 7), log.entries(501, 506, Long.MAX_VALUE));
        }
    }

    @Test
    void indexKeepingAtMostBoundsWhatCompactionLeaves() throws IOException {
        try (RocksLogStorage log = open()) {
            log.write(LogWrite.of(entries(1, 100, 1), null, true));
            long size = entry(50, 1).getSerializedSize();
            long keep = log.indexKeepingAtMost(size * 10);
            assertTrue(keep >= 89 && keep <= 91, "keeps about 10 entries: " + keep);
            assertEquals(100, log.indexKeepingAtMost(0));
            assertEquals(0, log.indexKeepingAtMost(Long.MAX_VALUE));
        }
    }

    @Test
    void aCommitIndexBeyondTheLogIsReportedAsDamage() throws IOException {
        try (RocksLogStorage log = open()) {
            log.write(LogWrite.of(entries(1, 5, 1), HardState.newBuilder().setTerm(1).setCommit(9).build(), true));
        }
        CorruptStorageException e = assertThrows(CorruptStorageException.class, this::open);
        System.out.println("reported: " + e.getMessage());
        assertTrue(e.getMessage().contains("commit index 9") && e.getMessage().contains(db().toString()),
                e.getMessage());
    }

    @Test
    void anUnreadableLogRecordIsReportedWithItsIndex() throws Exception {
        try (RocksLogStorage log = open()) {
            log.write(LogWrite.of(entries(1, 10, 1), null, true));
        }
        overwriteRecord(5, "not a protobuf entry \u00ff\u00ff".getBytes(StandardCharsets.ISO_8859_1));
        CorruptStorageException e = assertThrows(CorruptStorageException.class, this::open);
        System.out.println("reported: " + e.getMessage());
        assertTrue(e.getMessage().contains("entry 5") && e.getMessage().contains(db().toString()), e.getMessage());
    }

    @Test
    void aRecordUnderTheWrongIndexIsReported() throws Exception {
        try (RocksLogStorage log = open()) {
            log.write(LogWrite.of(entries(1, 10, 1), null, true));
        }
        overwriteRecord(4, entry(7, 1).toByteArray());
        CorruptStorageException e = assertThrows(CorruptStorageException.class, this::open);
        System.out.println("reported: " + e.getMessage());
        assertTrue(e.getMessage().contains("index 4 holds entry 7"), e.getMessage());
    }

    @Test
    void aDamagedTableFileIsReportedByName() throws Exception {
        try (RocksLogStorage log = open()) {
            List<Entry> big = new ArrayList<>();
            for (long i = 1; i <= 200; i++) {
                big.add(Entry.newBuilder().setIndex(i).setTerm(1)
                        .setData(ByteString.copyFrom(new byte[1000])).build());
            }
            log.write(LogWrite.of(big, null, true));
            log.flush();
        }
        Path table;
        try (Stream<Path> files = Files.list(db())) {
            table = files.filter(p -> p.toString().endsWith(".sst"))
                    .max((a, b) -> Long.compare(a.toFile().length(), b.toFile().length())).orElseThrow();
        }
        flipByte(table, table.toFile().length() / 3);
        CorruptStorageException e = assertThrows(CorruptStorageException.class, this::open);
        System.out.println("reported: " + e.getMessage());
        assertTrue(e.getMessage().contains(db().toString()), e.getMessage());
        assertTrue(e.getMessage().contains(table.getFileName().toString()), e.getMessage());
    }

    @Test
    void damageInsideTheWriteAheadLogRefusesToOpen() throws Exception {
        try (RocksLogStorage log = open()) {
            for (long i = 1; i <= 100; i++) {
                log.write(LogWrite.of(List.of(Entry.newBuilder().setIndex(i).setTerm(1)
                        .setData(ByteString.copyFrom(new byte[500])).build()), null, true));
            }
        }
        Path wal;
        try (Stream<Path> files = Files.list(db())) {
            wal = files.filter(p -> p.toString().endsWith(".log"))
                    .max((a, b) -> Long.compare(a.toFile().length(), b.toFile().length())).orElseThrow();
        }
        flipByte(wal, wal.toFile().length() / 2); // not at the tail: this is damage, not a torn last write
        CorruptStorageException e = assertThrows(CorruptStorageException.class, this::open);
        System.out.println("reported: " + e.getMessage());
        assertTrue(e.getMessage().contains(wal.toString()), e.getMessage());
    }

    private void overwriteRecord(long index, byte[] value) throws Exception {
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        try (DBOptions options = new DBOptions()) {
            List<ColumnFamilyDescriptor> descriptors = List.of(
                    new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY),
                    new ColumnFamilyDescriptor("raft_log".getBytes(StandardCharsets.UTF_8)),
                    new ColumnFamilyDescriptor("raft_meta".getBytes(StandardCharsets.UTF_8)));
            try (RocksDB raw = RocksDB.open(options, db().toString(), descriptors, handles)) {
                raw.put(handles.get(1), IndexKeys.key(index), value);
            } finally {
                handles.forEach(ColumnFamilyHandle::close);
            }
        }
    }

    static void flipByte(Path file, long position) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            channel.read(b, position);
            b.flip();
            byte value = b.get();
            channel.write(ByteBuffer.wrap(new byte[] {(byte) (value ^ 0x5A)}), position);
        }
    }
}
