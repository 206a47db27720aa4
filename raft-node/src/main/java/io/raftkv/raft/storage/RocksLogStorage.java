package io.raftkv.raft.storage;

import io.raftkv.common.faults.Failpoints;
import io.raftkv.proto.raft.ConfState;
import io.raftkv.proto.raft.Entry;
import io.raftkv.proto.raft.HardState;
import io.raftkv.proto.raft.SnapshotMetadata;
import io.raftkv.raft.core.LogStorage;
import io.raftkv.raft.core.RaftLog;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.InfoLogLevel;
import org.rocksdb.LRUCache;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Statistics;
import org.rocksdb.WALRecoveryMode;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * A node's Raft log, hard state and log base in one RocksDB: column family {@code raft_log} maps the 8-byte big-endian
 * index to the protobuf {@link Entry}; {@code raft_meta} holds the hard state, the snapshot metadata the log starts
 * after (its "base"), and the first index.
 *
 * <p>Each {@link LogWrite} (one Ready) is one WriteBatch, fsynced when the Ready says so: every proposal the Ready
 * carries shares that one fsync (group commit). Compaction drops the log prefix with one range delete.
 *
 * <p>Threads: the node's event loop owns this object and is the only caller of every method, except that
 * {@link #execute} (the RocksDB write of a planned batch) may run on another thread while the loop keeps reading: the
 * in-memory view changes only in {@link #publish}, on the loop, so the core sees exactly what earlier Readys wrote.
 *
 * <p>Start-up reads the whole log back and checks it (keys contiguous from the first index, every record parses, its
 * index matches its key, terms never decrease, the commit index lies within the log): damage is reported as a
 * {@link CorruptStorageException} naming the database and the record. RocksDB's own checksums cover the WAL and the
 * table files; the WAL is replayed in "tolerate a torn tail" mode, so a write cut off by a crash before its fsync
 * completed is dropped (it was never acknowledged), while damage anywhere else refuses to open.
 */
public final class RocksLogStorage implements NodeStorage {
    static {
        RocksDB.loadLibrary();
    }

    private static final long FORMAT_VERSION = 1;
    private static final byte[] FORMAT_KEY = bytes("format");
    private static final byte[] HARD_STATE_KEY = bytes("hard_state");
    private static final byte[] BASE_KEY = bytes("snapshot");
    private static final byte[] FIRST_INDEX_KEY = bytes("first_index");
    private static final byte[] LOG_START = IndexKeys.key(0);
    private static final byte[] LOG_END = IndexKeys.key(Long.MAX_VALUE);

    /**
     * Sizes of the in-memory caches and RocksDB buffers (the defaults suit several nodes on one small machine), and
     * the RocksDB statistics object to fill, or null for none (the caller owns and closes it).
     */
    public record Options(long entryCacheBytes, int entryCacheEntries, long logWriteBufferBytes,
            long blockCacheBytes, Statistics statistics) {
        public static Options defaults() {
            return new Options(8L << 20, 65_536, 8L << 20, 8L << 20, null);
        }

        public Options withStatistics(Statistics stats) {
            return new Options(entryCacheBytes, entryCacheEntries, logWriteBufferBytes, blockCacheBytes, stats);
        }
    }

    private final Path dir;
    private final LogRecords records;
    private final LRUCache blockCache;
    private final DBOptions dbOptions;
    private final ColumnFamilyOptions logOptions;
    private final ColumnFamilyOptions metaOptions;
    private final List<ColumnFamilyHandle> handles;
    private final RocksDB db;
    private final ColumnFamilyHandle logCf;
    private final ColumnFamilyHandle metaCf;
    private final WriteOptions syncWrite = new WriteOptions().setSync(true);
    private final WriteOptions plainWrite = new WriteOptions();
    private final ReadOptions readOptions = new ReadOptions();

    private SnapshotMetadata base;
    private HardState hardState;
    private long lastIndex;
    /** Serialized size of each entry in (base, lastIndex], so that {@link #logBytes()} is exact. */
    private final IntRing sizes = new IntRing();
    private long logBytes;
    private final EntryCache cache;
    private Supplier<Optional<SnapshotMetadata>> snapshotOffer = Optional::empty;
    private boolean closed;

    private RocksLogStorage(Path dir, Options options) throws IOException {
        this.dir = dir;
        this.records = new LogRecords(dir);
        this.cache = new EntryCache(options.entryCacheBytes(), options.entryCacheEntries());
        this.blockCache = new LRUCache(options.blockCacheBytes());
        this.dbOptions = new DBOptions()
                .setCreateIfMissing(true)
                .setCreateMissingColumnFamilies(true)
                .setWalRecoveryMode(WALRecoveryMode.TolerateCorruptedTailRecords)
                .setParanoidChecks(true)
                .setMaxBackgroundJobs(2)
                .setInfoLogLevel(InfoLogLevel.WARN_LEVEL)
                .setKeepLogFileNum(2)
                .setMaxLogFileSize(1L << 20)
                .setMaxTotalWalSize(64L << 20);
        if (options.statistics() != null) {
            dbOptions.setStatistics(options.statistics());
        }
        this.logOptions = new ColumnFamilyOptions()
                .setWriteBufferSize(options.logWriteBufferBytes())
                .setMaxWriteBufferNumber(2)
                .setCompressionType(CompressionType.NO_COMPRESSION)
                .setTableFormatConfig(new BlockBasedTableConfig().setBlockCache(blockCache));
        this.metaOptions = new ColumnFamilyOptions()
                .setWriteBufferSize(1L << 20)
                .setMaxWriteBufferNumber(2)
                .setTableFormatConfig(new BlockBasedTableConfig().setBlockCache(blockCache));
        List<ColumnFamilyDescriptor> descriptors = List.of(
                new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, metaOptions),
                new ColumnFamilyDescriptor(bytes("raft_log"), logOptions),
                new ColumnFamilyDescriptor(bytes("raft_meta"), metaOptions));
        this.handles = new ArrayList<>();
        try {
            Files.createDirectories(dir);
            this.db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
        } catch (RocksDBException e) {
            closeOptions();
            IOException failure = records.failure("cannot open", e);
            if (failure instanceof CorruptStorageException) {
                // RocksDB does not say which file failed while replaying the write-ahead log: name the candidates.
                throw new CorruptStorageException(failure.getMessage() + " (write-ahead log files: "
                        + LogRecords.walFiles(dir) + ")", e);
            }
            throw failure;
        } catch (IOException e) {
            closeOptions();
            throw new IOException("cannot create the raft log directory " + dir + ": " + e.getMessage(), e);
        }
        this.logCf = handles.get(1);
        this.metaCf = handles.get(2);
    }

    /**
     * Opens (or creates) the log in {@code dir}. A new log starts empty with {@code voters} as its membership.
     *
     * @throws CorruptStorageException if what is stored is damaged or inconsistent (the message names what)
     * @throws IOException if the database cannot be opened
     */
    public static RocksLogStorage open(Path dir, ConfState voters, Options options) throws IOException {
        RocksLogStorage storage = new RocksLogStorage(dir, options);
        try {
            storage.load(voters);
            return storage;
        } catch (IOException | RuntimeException e) {
            storage.close();
            throw e;
        }
    }

    public static RocksLogStorage open(Path dir, ConfState voters) throws IOException {
        return open(dir, voters, Options.defaults());
    }

    private void load(ConfState voters) throws IOException {
        try {
            byte[] format = db.get(metaCf, FORMAT_KEY);
            if (format == null) {
                initialize(voters);
            } else if (records.longValue(format, "the format marker") != FORMAT_VERSION) {
                throw new CorruptStorageException(dir + " holds raft log format " + records.longValue(format, "format")
                        + "; this node reads format " + FORMAT_VERSION);
            }
            base = records.meta(db.get(metaCf, BASE_KEY), SnapshotMetadata.parser(), "the snapshot metadata");
            hardState = records.meta(db.get(metaCf, HARD_STATE_KEY), HardState.parser(), "the hard state");
            String what = "the first index";
            long first = records.longValue(records.present(db.get(metaCf, FIRST_INDEX_KEY), what), what);
            if (first != base.getIndex() + 1) {
                throw new CorruptStorageException("raft log " + dir + " records first index " + first
                        + " but its snapshot metadata ends at " + base.getIndex());
            }
            scanLog();
            if (hardState.getCommit() > lastIndex) {
                throw new CorruptStorageException("raft log " + dir + " has commit index " + hardState.getCommit()
                        + " beyond its last entry " + lastIndex + ": synced entries are missing");
            }
        } catch (RocksDBException e) {
            throw records.failure("cannot read", e);
        }
    }

    private void initialize(ConfState voters) throws RocksDBException, CorruptStorageException {
        try (RocksIterator it = db.newIterator(logCf, readOptions)) {
            it.seekToFirst();
            if (it.isValid() || db.get(metaCf, BASE_KEY) != null) {
                throw new CorruptStorageException("raft log " + dir + " has entries but no format marker");
            }
        }
        try (WriteBatch batch = new WriteBatch()) {
            batch.put(metaCf, BASE_KEY, SnapshotMetadata.newBuilder().setConfState(voters).build().toByteArray());
            batch.put(metaCf, FIRST_INDEX_KEY, IndexKeys.key(1));
            batch.put(metaCf, HARD_STATE_KEY, HardState.getDefaultInstance().toByteArray());
            batch.put(metaCf, FORMAT_KEY, IndexKeys.key(FORMAT_VERSION));
            db.write(syncWrite, batch);
        }
    }

    /** Reads the whole log once: checks it, and learns its last index and the size of every entry. */
    private void scanLog() throws RocksDBException, CorruptStorageException {
        long expected = base.getIndex() + 1;
        long previousTerm = base.getTerm();
        try (RocksIterator it = db.newIterator(logCf, readOptions)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                long index = records.index(it.key());
                if (index != expected) {
                    throw new CorruptStorageException("raft log " + dir + " jumps from index " + (expected - 1)
                            + " to " + index + (index < expected ? " (entries left before the first index)" : ""));
                }
                byte[] value = it.value();
                Entry entry = records.entry(index, value);
                if (entry.getTerm() < previousTerm) {
                    throw new CorruptStorageException("raft log " + dir + ": entry " + index + " has term "
                            + entry.getTerm() + ", below the term " + previousTerm + " before it");
                }
                previousTerm = entry.getTerm();
                sizes.addLast(value.length);
                logBytes += value.length;
                expected++;
            }
            it.status();
        }
        lastIndex = expected - 1;
    }

    // ---------------------------------------------------------------- LogStorage

    @Override
    public InitialState initialState() {
        return new InitialState(hardState, base.getConfState());
    }

    @Override
    public long firstIndex() {
        return RaftLog.firstIndexAfter(base.getIndex());
    }

    @Override
    public long lastIndex() {
        return lastIndex;
    }

    @Override
    public long term(long index) {
        if (index == base.getIndex()) {
            return base.getTerm();
        }
        checkRange(index, index + 1);
        Entry cached = cache.get(index);
        return cached != null ? cached.getTerm() : read(index).getTerm();
    }

    @Override
    public List<Entry> entries(long lo, long hi, long maxBytes) {
        if (lo >= hi) {
            throw new IllegalArgumentException("empty range [" + lo + ", " + hi + ")");
        }
        checkRange(lo, hi);
        ArrayList<Entry> out = new ArrayList<>((int) Math.min(hi - lo, 256));
        long bytes = 0;
        long index = lo;
        long cacheFirst = cache.firstIndex();
        if (index < cacheFirst) {
            long stop = Math.min(hi, cacheFirst);
            try (RocksIterator it = db.newIterator(logCf, readOptions)) {
                it.seek(IndexKeys.key(index));
                while (index < stop && it.isValid()) {
                    byte[] value = it.value();
                    bytes += value.length;
                    if (!out.isEmpty() && bytes > maxBytes) {
                        return out;
                    }
                    if (records.index(it.key()) != index) {
                        throw new IllegalStateException("raft log " + dir + " has no entry " + index);
                    }
                    out.add(records.entry(index, value));
                    index++;
                    it.next();
                }
                it.status();
            } catch (RocksDBException | CorruptStorageException e) {
                throw new IllegalStateException("cannot read raft log " + dir + " at index " + index + ": "
                        + e.getMessage(), e);
            }
            if (index < stop) {
                throw new IllegalStateException("raft log " + dir + " has no entry " + index);
            }
        }
        while (index < hi) {
            Entry e = cache.get(index);
            bytes += e.getSerializedSize();
            if (!out.isEmpty() && bytes > maxBytes) {
                break;
            }
            out.add(e);
            index++;
        }
        return out;
    }

    @Override
    public Optional<SnapshotMetadata> snapshot() {
        return snapshotOffer.get();
    }

    /**
     * Who answers {@link #snapshot()}: the runtime, which knows which snapshot files exist (by default: none, so a
     * leader never sends snapshots).
     */
    @Override
    public void setSnapshotOffer(Supplier<Optional<SnapshotMetadata>> offer) {
        this.snapshotOffer = offer;
    }

    // ---------------------------------------------------------------- writes

    /** A write planned by {@link #plan}: run it with {@link #execute}, then {@link #publish} it. */
    private static final class RocksWrite implements PendingWrite {
        private final LogWrite write;
        /** Stored entries from here to {@link #deleteTo} (exclusive) are replaced and must go; -1 if none. */
        private final long deleteFrom;
        private final long deleteTo;
        private long syncNanos;

        private RocksWrite(LogWrite write, long deleteFrom, long deleteTo) {
            this.write = write;
            this.deleteFrom = deleteFrom;
            this.deleteTo = deleteTo;
        }

        @Override
        public LogWrite write() {
            return write;
        }

        @Override
        public long writeNanos() {
            return syncNanos;
        }
    }

    @Override
    public PendingWrite plan(LogWrite write) {
        checkOpen();
        long newBase = write.snapshot() != null ? write.snapshot().getIndex() : base.getIndex();
        long last = write.snapshot() != null ? newBase : lastIndex;
        long deleteFrom = -1;
        long deleteTo = -1;
        List<Entry> entries = write.entries();
        if (!entries.isEmpty()) {
            long first = entries.get(0).getIndex();
            long end = entries.get(entries.size() - 1).getIndex();
            if (first <= newBase || first > last + 1 || end - first + 1 != entries.size()) {
                throw new IllegalArgumentException("entries " + first + ".." + end + " (" + entries.size()
                        + ") do not continue the log (" + newBase + ", " + last + "]");
            }
            if (end < last) {
                deleteFrom = end + 1;
                deleteTo = last + 1;
            }
        }
        return new RocksWrite(write, deleteFrom, deleteTo);
    }

    /**
     * Performs the RocksDB write of a planned batch, with an fsync if it asks for one. May run on any thread, but
     * only one write at a time.
     */
    @Override
    public void execute(PendingWrite planned) throws IOException {
        checkOpen();
        RocksWrite pending = (RocksWrite) planned;
        LogWrite write = pending.write;
        try (WriteBatch batch = new WriteBatch()) {
            SnapshotMetadata snapshot = write.snapshot();
            if (snapshot != null) {
                batch.deleteRange(logCf, LOG_START, LOG_END);
                batch.put(metaCf, BASE_KEY, snapshot.toByteArray());
                batch.put(metaCf, FIRST_INDEX_KEY, IndexKeys.key(snapshot.getIndex() + 1));
            }
            if (pending.deleteFrom >= 0) {
                batch.deleteRange(logCf, IndexKeys.key(pending.deleteFrom), IndexKeys.key(pending.deleteTo));
            }
            byte[] key = new byte[8];
            for (Entry e : write.entries()) {
                IndexKeys.write(e.getIndex(), key);
                batch.put(logCf, key, e.toByteArray());
            }
            if (write.hardState() != null) {
                batch.put(metaCf, HARD_STATE_KEY, write.hardState().toByteArray());
            }
            long start = System.nanoTime();
            Failpoints.hit(Failpoints.RAFT_LOG_BEFORE_WRITE);
            db.write(write.sync() ? syncWrite : plainWrite, batch);
            Failpoints.hit(Failpoints.RAFT_LOG_AFTER_WRITE);
            pending.syncNanos = System.nanoTime() - start;
        } catch (RocksDBException e) {
            throw records.failure("cannot write", e);
        }
    }

    @Override
    public void publish(PendingWrite pending) {
        LogWrite write = pending.write();
        SnapshotMetadata snapshot = write.snapshot();
        if (snapshot != null) {
            base = snapshot;
            lastIndex = snapshot.getIndex();
            sizes.clear();
            logBytes = 0;
            cache.clear();
        }
        List<Entry> entries = write.entries();
        if (!entries.isEmpty()) {
            long first = entries.get(0).getIndex();
            if (first <= lastIndex) {
                logBytes -= sizes.truncate(RaftLog.position(firstIndex(), first));
            }
            for (Entry e : entries) {
                int size = e.getSerializedSize();
                sizes.addLast(size);
                logBytes += size;
            }
            cache.append(entries);
            lastIndex = entries.get(entries.size() - 1).getIndex();
        }
        if (write.hardState() != null) {
            hardState = write.hardState();
        }
    }

    /** Plans, executes and publishes a write on the calling thread. */
    public void write(LogWrite write) throws IOException {
        PendingWrite pending = plan(write);
        execute(pending);
        publish(pending);
    }

    /**
     * Drops the entries up to and including {@code index} (which the state machine has applied and made durable) and
     * records the log base at {@code index}, with {@code membership}, the membership there: one unsynced batch with a range delete. Does nothing if the log already
     * starts after {@code index}. Call only while no write is in flight.
     */
    @Override
    public void compact(long index, ConfState membership) throws IOException {
        checkOpen();
        if (index <= base.getIndex()) {
            return;
        }
        if (index > lastIndex) {
            throw new IllegalArgumentException("cannot compact to " + index + ": the log ends at " + lastIndex);
        }
        SnapshotMetadata newBase = SnapshotMetadata.newBuilder()
                .setIndex(index)
                .setTerm(term(index))
                .setConfState(membership)
                .build();
        try (WriteBatch batch = new WriteBatch()) {
            batch.deleteRange(logCf, IndexKeys.key(base.getIndex() + 1), IndexKeys.key(index + 1));
            batch.put(metaCf, BASE_KEY, newBase.toByteArray());
            batch.put(metaCf, FIRST_INDEX_KEY, IndexKeys.key(index + 1));
            db.write(plainWrite, batch);
        } catch (RocksDBException e) {
            throw records.failure("cannot compact", e);
        }
        logBytes -= sizes.removeFirst(RaftLog.position(firstIndex(), index) + 1);
        cache.dropUpTo(index);
        base = newBase;
    }

    // ---------------------------------------------------------------- views

    /** Writes the memtables out to table files (the WAL then no longer holds their data). */
    public void flush() throws IOException {
        checkOpen();
        try (org.rocksdb.FlushOptions options = new org.rocksdb.FlushOptions().setWaitForFlush(true)) {
            db.flush(options, List.of(logCf, metaCf));
        } catch (RocksDBException e) {
            throw records.failure("cannot flush", e);
        }
    }

    /** The snapshot metadata the log starts after (index 0 for a log that was never compacted). */
    @Override
    public SnapshotMetadata base() {
        return base;
    }

    @Override
    public HardState hardState() {
        return hardState;
    }

    /** The serialized size of the entries in the log. */
    @Override
    public long logBytes() {
        return logBytes;
    }

    @Override
    public Path dir() {
        return dir;
    }

    /**
     * The smallest index such that the entries after it take at most {@code maxBytes}: compacting up to it leaves at
     * most that much log.
     */
    @Override
    public long indexKeepingAtMost(long maxBytes) {
        long kept = 0;
        int position = sizes.size();
        while (position > 0 && kept + sizes.get(position - 1) <= maxBytes) {
            kept += sizes.get(position - 1);
            position--;
        }
        return base.getIndex() + position; // the index of the entry at ring position 'position - 1'
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (ColumnFamilyHandle handle : handles) {
            handle.close();
        }
        if (db != null) {
            db.close();
        }
        syncWrite.close();
        plainWrite.close();
        readOptions.close();
        closeOptions();
    }

    private void closeOptions() {
        dbOptions.close();
        logOptions.close();
        metaOptions.close();
        blockCache.close();
    }

    // ---------------------------------------------------------------- helpers

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("raft log " + dir + " is closed");
        }
    }

    private void checkRange(long lo, long hi) {
        if (lo <= base.getIndex() || hi > lastIndex + 1) {
            throw new IllegalArgumentException("range [" + lo + ", " + hi + ") outside the log [" + firstIndex()
                    + ", " + (lastIndex + 1) + ")");
        }
    }

    private Entry read(long index) {
        try {
            byte[] value = db.get(logCf, readOptions, IndexKeys.key(index));
            if (value == null) {
                throw new IllegalStateException("raft log " + dir + " has no entry " + index);
            }
            return records.entry(index, value);
        } catch (RocksDBException | CorruptStorageException e) {
            throw new IllegalStateException("cannot read raft log " + dir + " at index " + index + ": "
                    + e.getMessage(), e);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
