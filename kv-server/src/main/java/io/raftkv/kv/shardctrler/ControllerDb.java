package io.raftkv.kv.shardctrler;

import com.google.protobuf.InvalidProtocolBufferException;
import io.raftkv.kv.state.Codec;
import io.raftkv.proto.service.ClientSession;
import io.raftkv.proto.service.ClientSessionEntry;
import io.raftkv.proto.shardctrler.Config;
import io.raftkv.proto.shardctrler.CtrlSnapshot;
import io.raftkv.raft.service.SessionTable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.rocksdb.InfoLogLevel;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * The controller's state in one RocksDB database, one key space told apart by a one-byte prefix:
 * {@code m} metadata (format, number of shards, applied index, log clock), {@code c} + 8-byte number: every
 * configuration, {@code s} + 8-byte client id: the client sessions. Small enough that a snapshot is the whole state
 * as one {@link CtrlSnapshot} message, and restoring one is a single synced batch that deletes everything and writes
 * the snapshot's contents: after a crash the database holds either the old state or the new, never a mix.
 */
final class ControllerDb implements AutoCloseable {
    private static final long FORMAT = 1;
    private static final byte META = 'm';
    private static final byte CONFIG = 'c';
    private static final byte SESSION = 's';
    private static final byte[] FORMAT_KEY = metaKey("format");
    private static final byte[] SHARDS_KEY = metaKey("shards");
    private static final byte[] APPLIED_INDEX_KEY = metaKey("applied_index");
    private static final byte[] LOG_TIME_KEY = metaKey("log_time");
    /** Every key sorts between these two (prefixes are ASCII letters). */
    private static final byte[] FIRST_KEY = {0};
    private static final byte[] PAST_LAST_KEY = {(byte) 0xff};

    static {
        RocksDB.loadLibrary();
    }

    private final Path dir;
    private final Options options;
    private final RocksDB db;
    private final WriteOptions unsynced = new WriteOptions();
    private final WriteOptions synced = new WriteOptions().setSync(true);

    /** What the database holds, as loaded at open. */
    record Contents(long appliedIndex, long logTimeMillis, List<Config> configs) {}

    private ControllerDb(Path dir, Options options, RocksDB db) {
        this.dir = dir;
        this.options = options;
        this.db = db;
    }

    /**
     * Opens the state in {@code dir}, creating it (with configuration 0 over {@code shards} shards) if it is new.
     *
     * @throws IOException when the directory is not a controller state, is damaged, or was created with another
     *     number of shards
     */
    static ControllerDb open(Path dir, int shards) throws IOException {
        Files.createDirectories(dir);
        Options options = new Options().setCreateIfMissing(true).setParanoidChecks(true)
                .setInfoLogLevel(InfoLogLevel.WARN_LEVEL).setKeepLogFileNum(2);
        RocksDB db;
        try {
            db = RocksDB.open(options, dir.toString());
        } catch (RocksDBException e) {
            options.close();
            throw new IOException("cannot open the controller state in " + dir + ": " + e.getMessage(), e);
        }
        ControllerDb opened = new ControllerDb(dir, options, db);
        try {
            opened.initializeOrCheck(shards);
            return opened;
        } catch (IOException | RuntimeException e) {
            opened.close();
            throw e;
        }
    }

    private void initializeOrCheck(int shards) throws IOException {
        try {
            byte[] format = db.get(FORMAT_KEY);
            if (format == null) {
                if (hasAnyKey()) {
                    throw new IOException(dir + " is not a raftkv controller state: it has no format marker");
                }
                try (WriteBatch batch = new WriteBatch()) {
                    batch.put(FORMAT_KEY, Codec.encodeLong(FORMAT));
                    batch.put(SHARDS_KEY, Codec.encodeLong(shards));
                    putMeta(batch, 0, 0);
                    putConfig(batch, ConfigChanges.initial(shards));
                    db.write(synced, batch);
                }
                return;
            }
            long version = Codec.decodeLong(format, "the format marker in " + dir);
            if (version != FORMAT) {
                throw new IOException(dir + " holds controller state format " + version + "; this server reads "
                        + FORMAT);
            }
            long stored = Codec.decodeLong(db.get(SHARDS_KEY), "the number of shards in " + dir);
            if (stored != shards) {
                throw new IOException("the controller state in " + dir + " was created with --shards " + stored
                        + "; it cannot be started with --shards " + shards
                        + " (the number of shards is fixed when a controller cluster is first created)");
            }
        } catch (RocksDBException e) {
            throw new IOException("cannot read the controller state in " + dir + ": " + e.getMessage(), e);
        }
    }

    private boolean hasAnyKey() {
        try (RocksIterator it = db.newIterator()) {
            it.seekToFirst();
            return it.isValid();
        }
    }

    /** Reads everything back; {@code sessions} receives the stored client sessions. */
    Contents load(SessionTable sessions) throws IOException {
        try {
            long applied = Codec.decodeLong(db.get(APPLIED_INDEX_KEY), "the applied index in " + dir);
            long logTime = Codec.decodeLong(db.get(LOG_TIME_KEY), "the log clock in " + dir);
            List<Config> configs = new ArrayList<>();
            try (RocksIterator it = db.newIterator()) {
                for (it.seek(new byte[] {CONFIG}); it.isValid() && it.key()[0] == CONFIG; it.next()) {
                    Config config = Config.parseFrom(it.value());
                    if (config.getNum() != configs.size()) {
                        throw new IOException("the controller state in " + dir + " is damaged: configuration "
                                + configs.size() + " is missing or misnumbered (found " + config.getNum() + ")");
                    }
                    configs.add(config);
                }
                it.status();
                for (it.seek(new byte[] {SESSION}); it.isValid() && it.key()[0] == SESSION; it.next()) {
                    sessions.restore(idOf(it.key()), ClientSession.parseFrom(it.value()));
                }
                it.status();
            }
            if (configs.isEmpty()) {
                throw new IOException("the controller state in " + dir + " is damaged: it has no configuration 0");
            }
            return new Contents(applied, logTime, configs);
        } catch (InvalidProtocolBufferException e) {
            throw new IOException("the controller state in " + dir + " holds a corrupt record: " + e.getMessage(), e);
        } catch (RocksDBException e) {
            throw new IOException("cannot read the controller state in " + dir + ": " + e.getMessage(), e);
        }
    }

    // ---- writing (apply thread)

    static void putConfig(WriteBatch batch, Config config) throws RocksDBException {
        batch.put(key(CONFIG, config.getNum()), config.toByteArray());
    }

    static void putMeta(WriteBatch batch, long appliedIndex, long logTimeMillis) throws RocksDBException {
        batch.put(APPLIED_INDEX_KEY, Codec.encodeLong(appliedIndex));
        batch.put(LOG_TIME_KEY, Codec.encodeLong(logTimeMillis));
    }

    /** The session table's changes, written into {@code batch}. */
    static SessionTable.Changes sessionChanges(WriteBatch batch) {
        return new SessionTable.Changes() {
            @Override
            public void put(long clientId, ClientSession session) {
                try {
                    batch.put(key(SESSION, clientId), session.toByteArray());
                } catch (RocksDBException e) {
                    throw new IllegalStateException("cannot record the session of client "
                            + Long.toUnsignedString(clientId) + ": " + e.getMessage(), e);
                }
            }

            @Override
            public void delete(long clientId) {
                try {
                    batch.delete(key(SESSION, clientId));
                } catch (RocksDBException e) {
                    throw new IllegalStateException("cannot forget the session of client "
                            + Long.toUnsignedString(clientId) + ": " + e.getMessage(), e);
                }
            }
        };
    }

    /** Writes {@code batch} to the WAL without fsync ({@link #sync} makes it durable). */
    void write(WriteBatch batch) throws RocksDBException {
        db.write(unsynced, batch);
    }

    /** Fsyncs everything written so far. */
    void sync() throws RocksDBException {
        db.flushWal(true);
    }

    /** Replaces the whole state with {@code snapshot}, in one synced batch. */
    void replaceAll(CtrlSnapshot snapshot) throws RocksDBException {
        try (WriteBatch batch = new WriteBatch()) {
            batch.deleteRange(FIRST_KEY, PAST_LAST_KEY);
            batch.put(FORMAT_KEY, Codec.encodeLong(FORMAT));
            batch.put(SHARDS_KEY, Codec.encodeLong(snapshot.getShards()));
            putMeta(batch, snapshot.getAppliedIndex(), snapshot.getLogTimeMillis());
            for (Config config : snapshot.getConfigsList()) {
                putConfig(batch, config);
            }
            for (ClientSessionEntry entry : snapshot.getSessionsList()) {
                batch.put(key(SESSION, entry.getClientId()), entry.getSession().toByteArray());
            }
            db.write(synced, batch);
        }
    }

    /** The stored bytes of configuration {@code num}, or null (for checks that replicas store the same bytes). */
    byte[] storedConfig(long num) throws RocksDBException {
        return db.get(key(CONFIG, num));
    }

    Path dir() {
        return dir;
    }

    @Override
    public void close() {
        db.close();
        unsynced.close();
        synced.close();
        options.close();
    }

    private static byte[] key(byte prefix, long id) {
        return ByteBuffer.allocate(1 + Long.BYTES).put(prefix).putLong(id).array();
    }

    private static long idOf(byte[] key) throws IOException {
        if (key.length != 1 + Long.BYTES) {
            throw new IOException("a key of " + key.length + " bytes where 9 belong");
        }
        return ByteBuffer.wrap(key, 1, Long.BYTES).getLong();
    }

    private static byte[] metaKey(String name) {
        byte[] text = name.getBytes(StandardCharsets.UTF_8);
        byte[] key = new byte[1 + text.length];
        key[0] = META;
        System.arraycopy(text, 0, key, 1, text.length);
        return key;
    }
}
