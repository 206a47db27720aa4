package io.raftkv.kv.state;

import com.google.protobuf.InvalidProtocolBufferException;
import io.raftkv.proto.service.ClientSession;
import io.raftkv.proto.service.ClientSessionEntry;
import io.raftkv.raft.service.SessionTable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.rocksdb.AbstractWriteBatch;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;

/**
 * The keys under which the KV state keeps the client sessions of a {@link SessionTable}: the {@code sessions} column
 * family, one {@link ClientSession} per client id under this key prefix, written in the same batch as the commands
 * that change them (and so in every snapshot). The unsharded store uses no prefix; a replica group keeps one table per
 * shard, each under its shard's prefix, so that a shard's sessions move and are deleted with it. The reply a session
 * keeps is the serialized {@code KvCommandResult} of the client's last write.
 */
public final class SessionKeys {
    /** The unsharded store's sessions: keyed by client id alone. */
    public static final SessionKeys UNPREFIXED = new SessionKeys(new byte[0]);

    private final byte[] prefix;

    private SessionKeys(byte[] prefix) {
        this.prefix = prefix.clone();
    }

    /** The sessions stored under {@code prefix} (a shard's). */
    public static SessionKeys withPrefix(byte[] prefix) {
        return new SessionKeys(prefix);
    }

    /** Adds every session stored under this prefix in {@code db} to {@code table}. */
    public SessionTable loadInto(KvDb db, SessionTable table) throws IOException {
        try (ReadOptions options = new ReadOptions()) {
            for (ClientSessionEntry entry : read(db, options)) {
                table.restore(entry.getClientId(), entry.getSession());
            }
        }
        return table;
    }

    /** The sessions stored under this prefix, ordered by client id, read with {@code options} (a snapshot, say). */
    public List<ClientSessionEntry> read(KvDb db, ReadOptions options) throws IOException {
        List<ClientSessionEntry> out = new ArrayList<>();
        try (RocksIterator it = db.db().newIterator(db.sessions, options)) {
            for (it.seek(prefix); it.isValid() && startsWithPrefix(it.key()); it.next()) {
                byte[] key = it.key();
                long clientId = Codec.decodeLong(Arrays.copyOfRange(key, prefix.length, key.length), "session key");
                try {
                    out.add(ClientSessionEntry.newBuilder().setClientId(clientId)
                            .setSession(ClientSession.parseFrom(it.value())).build());
                } catch (InvalidProtocolBufferException e) {
                    throw new IOException("the session of client " + Long.toUnsignedString(clientId) + " in "
                            + db.dir() + " is corrupt", e);
                }
            }
            it.status();
        } catch (RocksDBException e) {
            throw new IOException("cannot read the sessions in " + db.dir() + ": " + e.getMessage(), e);
        }
        return out;
    }

    /** A table's changes, written under this prefix into {@code batch}. */
    public SessionTable.Changes changes(AbstractWriteBatch batch, KvDb db) {
        return new SessionTable.Changes() {
            @Override
            public void put(long clientId, ClientSession session) {
                try {
                    batch.put(db.sessions, key(clientId), session.toByteArray());
                } catch (RocksDBException e) {
                    throw new KvStorageException("cannot record the session of client "
                            + Long.toUnsignedString(clientId) + ": " + e.getMessage(), e);
                }
            }

            @Override
            public void delete(long clientId) {
                try {
                    batch.delete(db.sessions, key(clientId));
                } catch (RocksDBException e) {
                    throw new KvStorageException("cannot forget the session of client "
                            + Long.toUnsignedString(clientId) + ": " + e.getMessage(), e);
                }
            }
        };
    }

    private byte[] key(long clientId) {
        return ByteBuffer.allocate(prefix.length + Long.BYTES).put(prefix).putLong(clientId).array();
    }

    private boolean startsWithPrefix(byte[] key) {
        return key.length == prefix.length + Long.BYTES
                && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }
}
