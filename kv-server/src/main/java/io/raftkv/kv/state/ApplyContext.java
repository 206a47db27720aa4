package io.raftkv.kv.state;

import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatchWithIndex;

/**
 * What {@link KvRules.Memory#apply} writes into: one batch per applied batch of entries (written atomically with the
 * applied index and the log clock), the database it reads through, and the log clock.
 */
public final class ApplyContext {
    /** Default read options for reading through the batch (shared, never closed). */
    private static final ReadOptions DEFAULT_READ = new ReadOptions();

    private final WriteBatchWithIndex batch;
    private final KvDb db;
    private long clock;

    ApplyContext(WriteBatchWithIndex batch, KvDb db, long clock) {
        this.batch = batch;
        this.db = db;
        this.clock = clock;
    }

    public WriteBatchWithIndex batch() {
        return batch;
    }

    public KvDb db() {
        return db;
    }

    /**
     * Moves the log clock to a proposer's stamp if that is later, and returns it: the clock is the largest stamp seen,
     * so sessions expire at the same log position on every replica.
     */
    public long observeClock(long stampMillis) {
        clock = Math.max(clock, stampMillis);
        return clock;
    }

    public long clock() {
        return clock;
    }

    /** The value of {@code key} in {@code family} as this batch leaves it. */
    public byte[] read(org.rocksdb.ColumnFamilyHandle family, byte[] key) throws RocksDBException {
        return batch.getFromBatchAndDB(db.db(), family, DEFAULT_READ, key);
    }
}
