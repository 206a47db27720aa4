package io.raftkv.kv.state;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.InfoLogLevel;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;

/**
 * One open RocksDB database holding the KV state: column families {@code default} (metadata: format, applied index,
 * log clock), {@code data} (the keys and values) and {@code sessions} (the duplicate table).
 *
 * <p>Reference counted, so that readers on other threads can keep using a database while the apply thread swaps in
 * a restored snapshot: whoever opens it holds the first reference; {@link #retain()} fails once the count has reached
 * zero, and the last {@link #release()} closes the database and then runs {@code afterClose}.
 */
public final class KvDb {
    static {
        RocksDB.loadLibrary();
    }

    private final Path dir;
    private final RocksDB db;
    private final DBOptions dbOptions;
    private final ColumnFamilyOptions cfOptions;
    private final List<ColumnFamilyHandle> handles;
    private final AtomicInteger references = new AtomicInteger(1);
    private volatile Runnable afterClose = () -> { };

    /** Metadata: format, applied index, log clock, and whatever else the rules keep (a group's shard states). */
    public final ColumnFamilyHandle meta;
    /** The keys and values. */
    public final ColumnFamilyHandle data;
    /** The duplicate table: client sessions. */
    public final ColumnFamilyHandle sessions;

    private KvDb(Path dir, RocksDB db, DBOptions dbOptions, ColumnFamilyOptions cfOptions,
            List<ColumnFamilyHandle> handles) {
        this.dir = dir;
        this.db = db;
        this.dbOptions = dbOptions;
        this.cfOptions = cfOptions;
        this.handles = handles;
        this.meta = handles.get(0);
        this.data = handles.get(1);
        this.sessions = handles.get(2);
    }

    /**
     * Opens (or with {@code create}, creates) the database in {@code dir}.
     *
     * @throws IOException naming the directory and RocksDB's reason (which names the damaged file) when it cannot
     */
    static KvDb open(Path dir, boolean create) throws IOException {
        DBOptions dbOptions = new DBOptions()
                .setCreateIfMissing(create)
                .setCreateMissingColumnFamilies(create)
                .setParanoidChecks(true)
                .setInfoLogLevel(InfoLogLevel.WARN_LEVEL)
                .setKeepLogFileNum(2);
        ColumnFamilyOptions cfOptions = new ColumnFamilyOptions();
        List<ColumnFamilyDescriptor> descriptors = List.of(
                new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions),
                new ColumnFamilyDescriptor("data".getBytes(StandardCharsets.UTF_8), cfOptions),
                new ColumnFamilyDescriptor("sessions".getBytes(StandardCharsets.UTF_8), cfOptions));
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        try {
            RocksDB db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
            return new KvDb(dir, db, dbOptions, cfOptions, handles);
        } catch (RocksDBException e) {
            handles.forEach(ColumnFamilyHandle::close);
            cfOptions.close();
            dbOptions.close();
            throw new IOException("cannot open the KV state in " + dir + ": " + e.getMessage(), e);
        }
    }

    public Path dir() {
        return dir;
    }

    /** The database, for the holder of a reference. */
    public RocksDB db() {
        return db;
    }

    /** Takes a reference; false if the database is already closed (the caller should look for the new one). */
    boolean retain() {
        while (true) {
            int count = references.get();
            if (count == 0) {
                return false;
            }
            if (references.compareAndSet(count, count + 1)) {
                return true;
            }
        }
    }

    /** Drops a reference; the last one closes the database and runs {@code afterClose}. */
    void release() {
        int count = references.decrementAndGet();
        if (count == 0) {
            handles.forEach(ColumnFamilyHandle::close);
            db.close();
            cfOptions.close();
            dbOptions.close();
            afterClose.run();
        } else if (count < 0) {
            throw new IllegalStateException("KV database in " + dir + " released more often than retained");
        }
    }

    /** What to do once the database is closed (delete a replaced state's directory). */
    void afterClose(Runnable action) {
        this.afterClose = action;
    }
}
