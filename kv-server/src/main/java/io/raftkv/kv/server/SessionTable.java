package io.raftkv.kv.server;

import com.google.protobuf.InvalidProtocolBufferException;
import io.raftkv.proto.kv.KvSession;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;
import org.rocksdb.AbstractWriteBatch;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;

/**
 * The duplicate table: per client session, the last sequence number applied and its reply. It is replicated state,
 * stored in the {@code sessions} column family (and so in snapshots); this class keeps an in-memory mirror, loaded at
 * open, for lookups and to find expired sessions in order of last activity. Only the apply thread uses it.
 *
 * <p>Sessions expire by the log's clock, never a node's own: a session whose last write is more than the TTL older
 * than the newest timestamp applied is forgotten, at the same log position on every node. A client that retries one
 * write for longer than the TTL could therefore have it applied twice; clients must give up sooner.
 */
final class SessionTable {
    private record Entry(long clientId, KvSession session) {}

    private record Activity(long lastActiveMillis, long clientId) implements Comparable<Activity> {
        @Override
        public int compareTo(Activity other) {
            int byTime = Long.compare(lastActiveMillis, other.lastActiveMillis);
            return byTime != 0 ? byTime : Long.compare(clientId, other.clientId);
        }
    }

    private final long ttlMillis;
    private final Map<Long, Entry> byClient = new HashMap<>();
    private final TreeSet<Activity> byActivity = new TreeSet<>();

    SessionTable(long ttlMillis) {
        if (ttlMillis <= 0) {
            throw new IllegalArgumentException("session TTL must be positive, not " + ttlMillis + " ms");
        }
        this.ttlMillis = ttlMillis;
    }

    /** Loads every session from the {@code sessions} column family. */
    void load(KvDb db) throws IOException {
        try (RocksIterator it = db.db().newIterator(db.sessions)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                long clientId = Codec.decodeLong(it.key(), "session key");
                KvSession session;
                try {
                    session = KvSession.parseFrom(it.value());
                } catch (InvalidProtocolBufferException e) {
                    throw new IOException("the session of client " + Long.toUnsignedString(clientId) + " in "
                            + db.dir() + " is corrupt", e);
                }
                put(clientId, session);
            }
            it.status();
        } catch (RocksDBException e) {
            throw new IOException("cannot read the sessions in " + db.dir() + ": " + e.getMessage(), e);
        }
    }

    /** The session of {@code clientId}, or null if it has none (new, or expired). */
    KvSession find(long clientId) {
        Entry entry = byClient.get(clientId);
        return entry == null ? null : entry.session();
    }

    /** Records a session's new state in memory and in {@code batch}. */
    void record(long clientId, KvSession session, AbstractWriteBatch batch, KvDb db) throws RocksDBException {
        Entry previous = byClient.get(clientId);
        if (previous != null) {
            byActivity.remove(new Activity(previous.session().getLastActiveMillis(), clientId));
        }
        put(clientId, session);
        batch.put(db.sessions, Codec.encodeLong(clientId), session.toByteArray());
    }

    /** Forgets, in memory and in {@code batch}, every session idle for more than the TTL at log time {@code now}. */
    void expire(long now, AbstractWriteBatch batch, KvDb db) throws RocksDBException {
        long cutoff = now - ttlMillis;
        while (!byActivity.isEmpty() && byActivity.first().lastActiveMillis() < cutoff) {
            Activity oldest = byActivity.pollFirst();
            byClient.remove(oldest.clientId());
            batch.delete(db.sessions, Codec.encodeLong(oldest.clientId()));
        }
    }

    int size() {
        return byClient.size();
    }

    private void put(long clientId, KvSession session) {
        byClient.put(clientId, new Entry(clientId, session));
        byActivity.add(new Activity(session.getLastActiveMillis(), clientId));
    }
}
