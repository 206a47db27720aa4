package io.raftkv.kv.server;

import com.google.protobuf.InvalidProtocolBufferException;
import io.raftkv.proto.kv.KvCommand;
import io.raftkv.proto.service.ErrorCode;
import io.raftkv.raft.service.SessionTable;
import java.io.IOException;
import java.time.Duration;
import org.rocksdb.RocksDBException;

/**
 * The unsharded store's rules: every log entry is a {@link KvCommand}, applied exactly once per client session, on
 * keys stored as they are. Sessions expire by the log's clock (see {@link SessionTable}).
 */
public final class PlainKvRules implements KvRules {
    private final Duration sessionTtl;

    public PlainKvRules(Duration sessionTtl) {
        if (sessionTtl.isNegative() || sessionTtl.isZero()) {
            throw new IllegalArgumentException("the session TTL must be positive, not " + sessionTtl);
        }
        this.sessionTtl = sessionTtl;
    }

    @Override
    public Memory load(KvDb db) throws IOException {
        return new Sessions(KvSessionStore.load(db, new SessionTable(sessionTtl)));
    }

    private static final class Sessions implements Memory {
        private final SessionTable table;
        private volatile int count;

        Sessions(SessionTable table) {
            this.table = table;
            this.count = table.size();
        }

        @Override
        public byte[] apply(byte[] entry, ApplyContext context) throws RocksDBException {
            KvCommand command;
            try {
                command = KvCommand.parseFrom(entry);
            } catch (InvalidProtocolBufferException e) {
                return KvWrites.result(ErrorCode.INVALID_ARGUMENT, "the log entry is not a KV command").toByteArray();
            }
            long clock = context.observeClock(command.getTimestampMillis());
            if (!SessionTable.identifies(command.getClientId(), command.getSequence())) {
                return KvWrites.result(ErrorCode.INVALID_ARGUMENT, "a write needs a client id and a sequence number")
                        .toByteArray();
            }
            SessionTable.Changes changes = KvSessionStore.changesIn(context.batch(), context.db());
            return table.applyOnce(command.getClientId(), command.getSequence(), clock, changes,
                    () -> KvWrites.execute(command, command.getKey().toByteArray(), context).toByteArray());
        }

        @Override
        public void written(KvDb db) {
            count = table.size();
        }

        @Override
        public int sessionCount() {
            return count;
        }
    }
}
