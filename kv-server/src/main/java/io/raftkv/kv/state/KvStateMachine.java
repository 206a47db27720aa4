package io.raftkv.kv.state;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.raftkv.common.faults.Failpoints;
import io.raftkv.common.io.FileTrees;
import io.raftkv.raft.api.SnapshotSource;
import io.raftkv.raft.api.StateMachine;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.rocksdb.Checkpoint;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Snapshot;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteBatchWithIndex;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replicated state engine, in RocksDB: the data, the duplicate table and the applied index, written together
 * in one WriteBatch per applied batch of commands. What the commands mean is up to its {@link KvRules}: the
 * unsharded store's, a shard group's or the shard controller's (each applying clients' writes exactly once per
 * session through {@link ApplyContext#applyOnce}).
 *
 * <p>Threads: {@link #apply}, {@link #sync}, {@link #captureSnapshot} and {@link #restoreSnapshot} run on the raft
 * node's apply thread; {@link #get} and {@link #appliedIndex} on any thread, concurrently with them. Readers take a
 * reference on the current database, so a snapshot swap never closes a database under a reader and no lock is held
 * across RocksDB I/O.
 *
 * <p>Durability: batches are written to RocksDB's WAL without fsync; {@link #sync} fsyncs the WAL and returns the
 * applied index that is durable. After a machine crash the state may be behind the log, which Raft replays.
 */
public final class KvStateMachine implements StateMachine, KvReader {
    private static final Logger LOG = LoggerFactory.getLogger(KvStateMachine.class);

    /** How long an idle client session is remembered, by default. */
    public static final Duration DEFAULT_SESSION_TTL = Duration.ofHours(1);
    /** The largest value an append may build (see {@link KvWrites}). */
    public static final int MAX_STORED_VALUE_BYTES = KvWrites.MAX_STORED_VALUE_BYTES;

    /**
     * The state format this version writes and reads. Format 2 (this one): every client request carries a
     * {@code RequestHeader}, and the shard controller keeps its state here too. Format 1 had the client id, sequence
     * and clock as fields of each command, and the controller its own database; its log entries cannot be read as
     * format 2, so a format-1 directory is refused, never converted or misread.
     */
    static final long FORMAT = 2;
    private static final byte[] FORMAT_KEY = "format".getBytes(StandardCharsets.UTF_8);
    private static final byte[] KIND_KEY = "kind".getBytes(StandardCharsets.UTF_8);
    private static final byte[] APPLIED_INDEX_KEY = "applied_index".getBytes(StandardCharsets.UTF_8);
    private static final byte[] LOG_TIME_KEY = "log_time".getBytes(StandardCharsets.UTF_8);
    private static final byte[] NO_REPLY = new byte[0];

    static {
        RocksDB.loadLibrary();
    }

    private final StateDirectory directory;
    private final KvRules rules;
    private final RestoreStep.Listener restoreListener;
    private final WriteOptions writeOptions = new WriteOptions();
    private final AtomicLong checkpointCounter = new AtomicLong();
    private final AtomicBoolean closed = new AtomicBoolean();

    private volatile KvDb current;
    private long generation;
    private volatile KvRules.Memory memory;
    private long logTime;
    private volatile long appliedIndex;
    private volatile boolean failed;

    private KvStateMachine(StateDirectory directory, KvRules rules, RestoreStep.Listener restoreListener) {
        this.directory = directory;
        this.rules = rules;
        this.restoreListener = restoreListener;
    }

    /** Opens the state in {@code dir} (creating it if new) under {@code rules}. */
    public static KvStateMachine open(Path dir, KvRules rules) throws IOException {
        return open(dir, rules, RestoreStep.Listener.NONE);
    }

    /**
     * Opens the state in {@code dir} under {@code rules}, creating it if the directory is new; {@code restoreListener}
     * is told of each step of a snapshot restore (tests crash it between steps).
     *
     * @throws IOException with a message naming the damaged file when the directory is not a usable KV state
     */
    public static KvStateMachine open(Path dir, KvRules rules, RestoreStep.Listener restoreListener)
            throws IOException {
        Files.createDirectories(dir);
        KvStateMachine machine = new KvStateMachine(new StateDirectory(dir), rules, restoreListener);
        machine.load();
        return machine;
    }

    private void load() throws IOException {
        long active = directory.activeGeneration();
        if (active < 0) {
            active = createFresh();
        } else {
            directory.removeLeftovers(active);
        }
        KvDb db = KvDb.open(directory.stateDir(active), false);
        try {
            Meta meta = readMeta(db, rules.kind());
            install(db, active, rules.load(db), meta);
        } catch (IOException | RuntimeException e) {
            db.release();
            throw e;
        }
    }

    /** Initializes a new directory: state-00000001 with empty metadata, then ACTIVE naming it. */
    private long createFresh() throws IOException {
        if (Files.exists(directory.root().resolve("CURRENT"))) {
            // A RocksDB database at the top: the shard controller's own database of format 1.
            throw new IOException(directory.root() + " holds a shard controller state of format 1 (one RocksDB"
                    + " database); this version of raftkv reads format " + FORMAT + " only: start the node on an"
                    + " empty data directory, or with the raftkv release that wrote it");
        }
        if (directory.hasStateDirectories()) {
            throw new IOException(directory.root().resolve(StateDirectory.ACTIVE) + " is missing, but "
                    + directory.root() + " holds state directories: restore ACTIVE (it names the live one, e.g. "
                    + "state-00000001) or empty the directory to start over");
        }
        directory.removeLeftovers(-1);
        Path dir = directory.stateDir(1);
        KvDb db = KvDb.open(dir, true);
        try (WriteBatch batch = new WriteBatch(); WriteOptions synced = new WriteOptions().setSync(true)) {
            batch.put(db.meta, FORMAT_KEY, Codec.encodeLong(FORMAT));
            batch.put(db.meta, KIND_KEY, rules.kind().getBytes(StandardCharsets.UTF_8));
            batch.put(db.meta, APPLIED_INDEX_KEY, Codec.encodeLong(0));
            batch.put(db.meta, LOG_TIME_KEY, Codec.encodeLong(0));
            db.db().write(synced, batch);
        } catch (RocksDBException e) {
            throw new IOException("cannot initialize the KV state in " + dir + ": " + e.getMessage(), e);
        } finally {
            db.release();
        }
        directory.activate(1);
        return 1;
    }

    private record Meta(long appliedIndex, long logTime) {}

    private static Meta readMeta(KvDb db, String kind) throws IOException {
        try {
            byte[] format = db.db().get(db.meta, FORMAT_KEY);
            if (format == null) {
                throw new IOException(db.dir() + " is not a raftkv KV state: it has no format marker");
            }
            long version = Codec.decodeLong(format, "the format marker in " + db.dir());
            if (version != FORMAT) {
                throw new IOException(db.dir() + " holds state format " + version + "; this version of raftkv reads"
                        + " format " + FORMAT + " only: start the node on an empty data directory, or with the"
                        + " raftkv release that wrote it");
            }
            byte[] stored = db.db().get(db.meta, KIND_KEY);
            String storedKind = stored == null ? "(none)" : new String(stored, StandardCharsets.UTF_8);
            if (!storedKind.equals(kind)) {
                throw new IOException(db.dir() + " holds " + storedKind + " state; this node keeps " + kind
                        + " state: give each service its own data directory");
            }
            return new Meta(
                    Codec.decodeLong(db.db().get(db.meta, APPLIED_INDEX_KEY), "the applied index in " + db.dir()),
                    Codec.decodeLong(db.db().get(db.meta, LOG_TIME_KEY), "the log clock in " + db.dir()));
        } catch (RocksDBException e) {
            throw new IOException("cannot read the KV state metadata in " + db.dir() + ": " + e.getMessage(), e);
        }
    }

    private void install(KvDb db, long newGeneration, KvRules.Memory loaded, Meta meta) {
        this.current = db;
        this.generation = newGeneration;
        this.memory = loaded;
        this.logTime = meta.logTime();
        this.appliedIndex = meta.appliedIndex();
        loaded.installed();
    }

    // ---- reads, any thread ----

    @Override
    public byte[] get(byte[] key) {
        return read(db -> db.db().get(db.data, key));
    }

    /** One read of the database, from any thread. */
    public interface DbRead<T> {
        T read(KvDb db) throws RocksDBException;
    }

    /**
     * Runs {@code reading} on the current database, holding a reference so that a snapshot swap cannot close it
     * meanwhile (a reader that needs several reads to agree takes a RocksDB snapshot inside).
     */
    public <T> T read(DbRead<T> reading) {
        while (true) {
            KvDb db = current;
            if (db.retain()) {
                try {
                    return reading.read(db);
                } catch (RocksDBException e) {
                    throw new KvStorageException("cannot read from the KV state in " + db.dir() + ": "
                            + e.getMessage(), e);
                } finally {
                    db.release();
                }
            }
            // The database was swapped out between reading the field and retaining it: look again.
            if (closed.get()) {
                throw new IllegalStateException("the KV state machine is closed");
            }
            Thread.onSpinWait();
        }
    }

    /**
     * A SHA-256 digest of everything the current state holds (every key and value of every column family, in key
     * order, read at one instant): replicas that applied the same log prefix have the same digest.
     */
    public byte[] contentHash() {
        return read(db -> {
            MessageDigest digest = sha256();
            Snapshot snapshot = db.db().getSnapshot();
            try (ReadOptions options = new ReadOptions().setSnapshot(snapshot)) {
                for (ColumnFamilyHandle family : List.of(db.meta, db.data, db.sessions)) {
                    digest.update(family.getName());
                    try (RocksIterator it = db.db().newIterator(family, options)) {
                        for (it.seekToFirst(); it.isValid(); it.next()) {
                            digestEntry(digest, it.key(), it.value());
                        }
                        it.status();
                    }
                }
            } finally {
                db.db().releaseSnapshot(snapshot);
            }
            return digest.digest();
        });
    }

    private static void digestEntry(MessageDigest digest, byte[] key, byte[] value) {
        digest.update(Codec.encodeLong(key.length));
        digest.update(key);
        digest.update(Codec.encodeLong(value.length));
        digest.update(value);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }

    @Override
    public long appliedIndex() {
        return appliedIndex;
    }

    /** How many client sessions the duplicate table holds. */
    public int sessionCount() {
        return memory.sessionCount();
    }

    /** Reports the applied index and the duplicate table's size as gauges. */
    public void bindMetrics(MeterRegistry registry) {
        Gauge.builder("kv.state.applied.index", this, KvStateMachine::appliedIndex)
                .description("Index of the last command applied to the KV state").register(registry);
        Gauge.builder("kv.state.sessions", this, KvStateMachine::sessionCount)
                .description("Client sessions in the duplicate table").register(registry);
    }

    // ---- the apply thread ----

    @Override
    public List<byte[]> apply(List<Command> commands) {
        checkUsable();
        KvDb db = current;
        List<byte[]> replies = new ArrayList<>(commands.size());
        long index = appliedIndex;
        for (Command command : commands) {
            if (command.index() <= index) {
                throw new IllegalArgumentException("command " + command.index() + " is not after index " + index);
            }
            index = command.index();
        }
        index = appliedIndex;
        KvRules.Memory rulesMemory = memory;
        long clock;
        try (WriteBatchWithIndex batch = new WriteBatchWithIndex(true)) {
            ApplyContext context = new ApplyContext(batch, db, logTime);
            for (Command command : commands) {
                index = command.index();
                if (command.data().length == 0) {
                    replies.add(NO_REPLY); // an empty entry (a new leader's no-op) changes nothing
                    continue;
                }
                replies.add(rulesMemory.apply(command.data(), context));
            }
            clock = context.clock();
            batch.put(db.meta, APPLIED_INDEX_KEY, Codec.encodeLong(index));
            batch.put(db.meta, LOG_TIME_KEY, Codec.encodeLong(clock));
            Failpoints.hit(Failpoints.KV_APPLY_BEFORE_WRITE);
            db.db().write(writeOptions, batch);
            appliedIndex = index;
            logTime = clock;
            rulesMemory.written(db);
        } catch (RocksDBException | RuntimeException e) {
            // The in-memory state (sessions, shard states) may now be ahead of the disk: refuse to go on.
            failed = true;
            throw new KvStorageException("cannot apply commands up to index " + index + " to the KV state in "
                    + db.dir() + ": " + e.getMessage(), e);
        }
        return replies;
    }

    @Override
    public long sync() {
        checkUsable();
        KvDb db = current;
        try {
            db.db().flushWal(true);
        } catch (RocksDBException e) {
            throw new KvStorageException("cannot fsync the KV state in " + db.dir() + ": " + e.getMessage(), e);
        }
        return appliedIndex;
    }

    @Override
    public SnapshotSource captureSnapshot() {
        checkUsable();
        KvDb db = current;
        long index = appliedIndex;
        Path dir = directory.checkpoints().resolve("snapshot-" + index + "-" + checkpointCounter.incrementAndGet());
        try {
            Files.createDirectories(directory.checkpoints());
            try (Checkpoint checkpoint = Checkpoint.create(db.db())) {
                checkpoint.createCheckpoint(dir.toString());
            }
        } catch (IOException | RocksDBException e) {
            StateDirectory.deleteQuietly(dir);
            throw new KvStorageException("cannot capture a checkpoint of the KV state in " + dir + ": "
                    + e.getMessage(), e);
        }
        return new CheckpointSnapshot(dir, index, memory.describe());
    }

    @Override
    public void restoreSnapshot(long index, long term, InputStream data) throws IOException {
        checkUsable();
        long next = Math.max(generation, directory.highestGeneration()) + 1;
        Path incoming = directory.incomingDir(next);
        Path target = directory.stateDir(next);
        KvDb fresh = null;
        boolean committed = false;
        try {
            FileTrees.deleteRecursively(incoming);
            Files.createDirectories(incoming);
            long archived = SnapshotArchive.read(data, incoming);
            if (archived != index) {
                throw new IOException("the snapshot archive covers index " + archived + " but was installed as "
                        + index);
            }
            Files.move(incoming, target, StandardCopyOption.ATOMIC_MOVE);
            StateDirectory.fsyncDirectory(directory.root());
            restoreListener.reached(RestoreStep.UNPACKED);

            fresh = KvDb.open(target, false);
            Meta meta = readMeta(fresh, rules.kind());
            if (meta.appliedIndex() != index) {
                throw new IOException("the snapshot's database in " + target + " has applied index "
                        + meta.appliedIndex() + " where " + index + " was expected");
            }
            KvRules.Memory loaded = rules.load(fresh);
            restoreListener.reached(RestoreStep.VERIFIED);

            directory.activate(next);
            committed = true;
            restoreListener.reached(RestoreStep.COMMITTED);

            KvDb old = current;
            install(fresh, next, loaded, meta);
            Path oldDir = old.dir();
            old.afterClose(() -> StateDirectory.deleteQuietly(oldDir));
            old.release();
            restoreListener.reached(RestoreStep.SWAPPED);
            LOG.info("installed a snapshot at index {} (term {}) into {}", index, term, target);
        } catch (IOException | RuntimeException e) {
            if (!committed) {
                if (fresh != null) {
                    fresh.release();
                }
                StateDirectory.deleteQuietly(incoming);
                StateDirectory.deleteQuietly(target);
            }
            throw e;
        }
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            current.release();
            writeOptions.close();
            StateDirectory.deleteQuietly(directory.checkpoints());
        }
    }

    private void checkUsable() {
        if (closed.get()) {
            throw new IllegalStateException("the KV state machine is closed");
        }
        if (failed) {
            throw new IllegalStateException("the KV state machine stopped after a storage failure");
        }
    }

    /** A RocksDB checkpoint (hard links to the live files) streamed as a {@link SnapshotArchive}. */
    private static final class CheckpointSnapshot implements SnapshotSource {
        private final Path dir;
        private final long index;
        private final java.util.Map<String, String> description;
        private final AtomicBoolean released = new AtomicBoolean();

        CheckpointSnapshot(Path dir, long index, java.util.Map<String, String> description) {
            this.dir = dir;
            this.index = index;
            this.description = description;
        }

        @Override
        public java.util.Map<String, String> describe() {
            return description;
        }

        @Override
        public long index() {
            return index;
        }

        @Override
        public void writeTo(OutputStream out) throws IOException {
            if (released.get()) {
                throw new IOException("the snapshot at index " + index + " was already closed");
            }
            SnapshotArchive.write(dir, index, out);
        }

        @Override
        public void close() {
            if (released.compareAndSet(false, true)) {
                StateDirectory.deleteQuietly(dir);
            }
        }
    }
}
