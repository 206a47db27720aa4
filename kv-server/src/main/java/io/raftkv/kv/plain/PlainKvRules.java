package io.raftkv.kv.plain;

import com.google.protobuf.InvalidProtocolBufferException;
import io.raftkv.kv.state.ApplyContext;
import io.raftkv.kv.state.KvDb;
import io.raftkv.kv.state.KvRules;
import io.raftkv.kv.state.KvStateMachine;
import io.raftkv.kv.state.KvWrites;
import io.raftkv.kv.state.RestoreStep;
import io.raftkv.kv.state.SessionKeys;
import io.raftkv.proto.kv.KvCommand;
import io.raftkv.proto.service.ErrorCode;
import io.raftkv.raft.service.SessionTable;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import org.rocksdb.RocksDBException;

/**
 * The unsharded store's rules: every log entry is a {@link KvCommand}, applied exactly once per client session, on
 * keys stored as they are. Sessions expire by the log's clock (see {@link SessionTable}).
 */
public final class PlainKvRules implements KvRules {
    private final Duration sessionTtl;

    public PlainKvRules(Duration sessionTtl) {
        this.sessionTtl = sessionTtl;
    }

    /**
     * Opens the unsharded store's state in {@code dir}, creating it if the directory is new.
     *
     * @param sessionTtl how long an idle client session is remembered (by log time); a client must not retry one
     *     write for longer than this, or the write may apply twice
     * @throws IOException with a message naming the damaged file when the directory is not a usable KV state
     */
    public static KvStateMachine openState(Path dir, Duration sessionTtl) throws IOException {
        return openState(dir, sessionTtl, RestoreStep.Listener.NONE);
    }

    /** As {@link #openState(Path, Duration)}, telling {@code restoreListener} of each step of a snapshot restore. */
    public static KvStateMachine openState(Path dir, Duration sessionTtl, RestoreStep.Listener restoreListener)
            throws IOException {
        return KvStateMachine.open(dir, new PlainKvRules(sessionTtl), restoreListener);
    }

    @Override
    public String kind() {
        return "kv";
    }

    @Override
    public Memory load(KvDb db) throws IOException {
        return new Sessions(SessionKeys.UNPREFIXED.loadInto(db, new SessionTable(sessionTtl)));
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
            return context.applyOnce(command.getHeader(), table,
                    SessionKeys.UNPREFIXED.changes(context.batch(), context.db()),
                    why -> KvWrites.result(ErrorCode.INVALID_ARGUMENT, why).toByteArray(),
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
