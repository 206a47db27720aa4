package io.raftkv.kv.state;

import io.raftkv.proto.service.RequestHeader;
import io.raftkv.raft.service.SessionTable;
import java.util.function.Function;
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

    /**
     * The exactly-once step every rule set applies a client's request through: moves the log clock to the request's
     * stamp; refuses a request that names no session (the reply is {@code refusal} of why); answers a write its
     * session has seen with the reply recorded for it; otherwise runs {@code write} and records its reply, a refusal
     * included, so that a retry gets the same answer. {@code changes} persist the session table's changes in this
     * batch.
     */
    public <E extends Exception> byte[] applyOnce(RequestHeader header, SessionTable sessions,
            SessionTable.Changes changes, Function<String, byte[]> refusal, SessionTable.Write<E> write) throws E {
        long now = observeClock(header.getTimestampMillis());
        if (!SessionTable.identifies(header.getClientId(), header.getSequence())) {
            return refusal.apply("a request needs a client id and a sequence number");
        }
        return sessions.applyOnce(header.getClientId(), header.getSequence(), now, changes, write);
    }

    /** The value of {@code key} in {@code family} as this batch leaves it. */
    public byte[] read(org.rocksdb.ColumnFamilyHandle family, byte[] key) throws RocksDBException {
        return batch.getFromBatchAndDB(db.db(), family, DEFAULT_READ, key);
    }
}
