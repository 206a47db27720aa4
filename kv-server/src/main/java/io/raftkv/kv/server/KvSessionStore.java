package io.raftkv.kv.server;

import com.google.protobuf.InvalidProtocolBufferException;
import io.raftkv.proto.service.ClientSession;
import io.raftkv.raft.service.SessionTable;
import java.io.IOException;
import org.rocksdb.AbstractWriteBatch;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;

/**
 * Where the KV state keeps the client sessions of its {@link SessionTable}: the {@code sessions} column family, one
 * {@link ClientSession} per client id, written in the same batch as the commands that change them (and so in every
 * snapshot). The reply a session keeps is the serialized {@code KvCommandResult} of the client's last write.
 */
final class KvSessionStore {
    private KvSessionStore() {}

    /** A table holding every session stored in {@code db}. */
    static SessionTable load(KvDb db, SessionTable table) throws IOException {
        try (RocksIterator it = db.db().newIterator(db.sessions)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                long clientId = Codec.decodeLong(it.key(), "session key");
                try {
                    table.restore(clientId, ClientSession.parseFrom(it.value()));
                } catch (InvalidProtocolBufferException e) {
                    throw new IOException("the session of client " + Long.toUnsignedString(clientId) + " in "
                            + db.dir() + " is corrupt", e);
                }
            }
            it.status();
        } catch (RocksDBException e) {
            throw new IOException("cannot read the sessions in " + db.dir() + ": " + e.getMessage(), e);
        }
        return table;
    }

    /** The table's changes, written into {@code batch}. */
    static SessionTable.Changes changesIn(AbstractWriteBatch batch, KvDb db) {
        return new SessionTable.Changes() {
            @Override
            public void put(long clientId, ClientSession session) {
                try {
                    batch.put(db.sessions, Codec.encodeLong(clientId), session.toByteArray());
                } catch (RocksDBException e) {
                    throw new KvStorageException("cannot record the session of client "
                            + Long.toUnsignedString(clientId) + ": " + e.getMessage(), e);
                }
            }

            @Override
            public void delete(long clientId) {
                try {
                    batch.delete(db.sessions, Codec.encodeLong(clientId));
                } catch (RocksDBException e) {
                    throw new KvStorageException("cannot forget the session of client "
                            + Long.toUnsignedString(clientId) + ": " + e.getMessage(), e);
                }
            }
        };
    }
}
