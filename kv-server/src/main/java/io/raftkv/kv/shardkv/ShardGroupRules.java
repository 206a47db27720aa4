package io.raftkv.kv.shardkv;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.raftkv.common.faults.Failpoints;
import io.raftkv.kv.state.ApplyContext;
import io.raftkv.kv.state.KvDb;
import io.raftkv.kv.state.KvRules;
import io.raftkv.kv.state.KvWrites;
import io.raftkv.proto.kv.KvCommand;
import io.raftkv.proto.kv.KvCommandResult;
import io.raftkv.proto.kv.ShardState;
import io.raftkv.proto.service.ErrorCode;
import io.raftkv.proto.shardctrler.Config;
import io.raftkv.proto.shardkv.GroupState;
import io.raftkv.proto.shardkv.InstallChunk;
import io.raftkv.proto.shardkv.ShardCommandResult;
import io.raftkv.proto.shardkv.ShardEntry;
import io.raftkv.proto.shardkv.ShardKvCommand;
import io.raftkv.proto.shardkv.ShardProgress;
import io.raftkv.proto.shardkv.ShardRef;
import io.raftkv.raft.service.SessionTable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rules of one replica group of the sharded store: every log entry is a {@link ShardKvCommand}. Writes apply
 * exactly once per client session of their shard, and only while the group serves the shard (ownership is checked
 * here, at apply time, whatever was checked when the write was proposed). Configurations apply one at a time, in
 * order, and only once every shard has settled; shard data arrives in chunks that apply only where the last one
 * ended; a shard handed over is deleted (data and sessions) once its new owner says it has it.
 *
 * <p>The group's state ({@link GroupState}) is written to the metadata with every batch that changes it, so it is in
 * every snapshot, and a restarted replica resumes a half-done change where its log left it.
 */
public final class ShardGroupRules implements KvRules {
    private static final Logger LOG = LoggerFactory.getLogger(ShardGroupRules.class);
    static final byte[] GROUP_STATE_KEY = "group_state".getBytes(StandardCharsets.UTF_8);

    private final long gid;
    private final Duration sessionTtl;
    private final MigrationCounters counters = new MigrationCounters();
    private volatile GroupView view;

    public ShardGroupRules(long gid, Duration sessionTtl) {
        if (gid <= 0) {
            throw new IllegalArgumentException("a replica group's id must be positive, not " + gid);
        }
        this.gid = gid;
        this.sessionTtl = sessionTtl;
        this.view = GroupView.initial(gid);
    }

    public long gid() {
        return gid;
    }

    /** The group's state as of the last applied batch (any thread). */
    public GroupView view() {
        return view;
    }

    /** Totals of shards moved in and out by this replica since it started (any thread). */
    public MigrationCounters counters() {
        return counters;
    }

    /** The group state stored in {@code db} ({@link GroupView#initial} for a new state). */
    static GroupState readState(KvDb db, org.rocksdb.ReadOptions options, long gid) throws IOException {
        try {
            byte[] bytes = db.db().get(db.meta, options, GROUP_STATE_KEY);
            return bytes == null ? GroupView.initial(gid).state() : GroupState.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            throw new IOException("the group state in " + db.dir() + " is corrupt", e);
        } catch (RocksDBException e) {
            throw new IOException("cannot read the group state in " + db.dir() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String kind() {
        return "shard-group";
    }

    @Override
    public Memory load(KvDb db) throws IOException {
        GroupState state;
        try (org.rocksdb.ReadOptions options = new org.rocksdb.ReadOptions()) {
            state = readState(db, options, gid);
        }
        List<SessionTable> tables = new ArrayList<>();
        for (int shard = 0; shard < state.getCurrent().getShardsCount(); shard++) {
            tables.add(ShardKeys.sessions(shard).loadInto(db, new SessionTable(sessionTtl)));
        }
        return new GroupMemory(state, tables);
    }

    /** The in-memory mirror of one database's group state and per-shard session tables. */
    private final class GroupMemory implements Memory {
        private GroupState state;
        private final List<SessionTable> sessions;
        private final List<Integer> deletedShards = new ArrayList<>();
        private boolean chunkInBatch;
        private volatile int sessionCount;

        GroupMemory(GroupState state, List<SessionTable> sessions) {
            this.state = state;
            this.sessions = sessions;
            this.sessionCount = countSessions();
        }

        @Override
        public void installed() {
            view = new GroupView(gid, state);
        }

        @Override
        public java.util.Map<String, String> describe() {
            return java.util.Map.of("shards", String.valueOf(state.getShardsCount()), "configuration",
                    String.valueOf(state.getCurrent().getNum()));
        }

        @Override
        public byte[] apply(byte[] entry, ApplyContext context) throws RocksDBException {
            ShardKvCommand command;
            try {
                command = ShardKvCommand.parseFrom(entry);
            } catch (InvalidProtocolBufferException e) {
                return KvWrites.result(ErrorCode.INVALID_ARGUMENT, "the log entry is not a shard group command")
                        .toByteArray();
            }
            // The envelope's stamp: the driver's commands carry no request header.
            context.observeClock(command.getTimestampMillis());
            return switch (command.getCommandCase()) {
                case WRITE -> write(command.getWrite(), context);
                case CONFIG -> nextConfig(command.getConfig(), context);
                case INSTALL -> install(command.getInstall(), context);
                case DELETE_SHARD -> deleteShard(command.getDeleteShard(), context);
                case PREVIOUS_DELETED -> previousDeleted(command.getPreviousDeleted(), context);
                case COMMAND_NOT_SET -> KvWrites.result(ErrorCode.INVALID_ARGUMENT, "an empty shard group command")
                        .toByteArray();
            };
        }

        private GroupView current() {
            return new GroupView(gid, state);
        }

        private byte[] write(KvCommand write, ApplyContext context) throws RocksDBException {
            byte[] key = write.getKey().toByteArray();
            GroupView now = current();
            int shard = now.shardOf(key);
            if (shard < 0 || !now.serves(shard)) {
                return KvCommandResult.newBuilder().setCode(ErrorCode.WRONG_GROUP)
                        .setMessage("group " + gid + " does not serve shard " + Math.max(shard, 0)
                                + " in configuration " + now.configNum())
                        .setConfigNum(now.configNum()).build().toByteArray();
            }
            SessionTable table = sessions.get(shard);
            SessionTable.Changes changes = ShardKeys.sessions(shard).changes(context.batch(), context.db());
            return context.applyOnce(write.getHeader(), table, changes,
                    why -> KvWrites.result(ErrorCode.INVALID_ARGUMENT, why).toByteArray(),
                    () -> KvWrites.execute(write, ShardKeys.dataKey(shard, key), context).toByteArray());
        }

        private byte[] nextConfig(Config next, ApplyContext context) throws RocksDBException {
            String refusal = ConfigStep.refusal(current(), next);
            if (refusal != null) {
                // A duplicate or early proposal (a new leader re-proposing, say): nothing to do.
                return done(ErrorCode.OK, refusal);
            }
            if (sessions.isEmpty()) {
                for (int shard = 0; shard < next.getShardsCount(); shard++) {
                    sessions.add(new SessionTable(sessionTtl));
                }
            }
            state = ConfigStep.apply(gid, state, next);
            save(context);
            LOG.info("group {} applied configuration {}: shards {}", gid, next.getNum(), describeStates());
            return done(ErrorCode.OK, "");
        }

        private byte[] install(InstallChunk chunk, ApplyContext context) throws RocksDBException {
            chunkInBatch = true;
            int shard = chunk.getShard();
            if (chunk.getConfigNum() != state.getCurrent().getNum() || shard < 0
                    || shard >= state.getShardsCount()
                    || state.getShards(shard).getState() != ShardState.PULLING
                    || !state.getShards(shard).getResumeAfter().equals(chunk.getAfterKey())) {
                return done(ErrorCode.OK, "a stale or replayed chunk of shard " + shard + ": ignored");
            }
            ShardProgress progress = state.getShards(shard);
            long bytes = progress.getBytesInstalled();
            ByteString lastKey = progress.getResumeAfter();
            for (ShardEntry entry : chunk.getEntriesList()) {
                context.batch().put(context.db().data, ShardKeys.dataKey(shard, entry.getKey().toByteArray()),
                        entry.getValue().toByteArray());
                bytes += entry.getKey().size() + entry.getValue().size();
                lastKey = entry.getKey();
            }
            ShardProgress.Builder next = progress.toBuilder().setResumeAfter(lastKey).setBytesInstalled(bytes);
            if (chunk.getLast()) {
                sessions.get(shard).importSessions(chunk.getSessionsList(),
                        ShardKeys.sessions(shard).changes(context.batch(), context.db()));
                next.setState(ShardState.DELETING_PREVIOUS).clearResumeAfter();
                counters.pulled(bytes);
                LOG.info("group {} installed shard {} of configuration {} ({} bytes, {} sessions)", gid, shard,
                        chunk.getConfigNum(), bytes, chunk.getSessionsCount());
            }
            state = state.toBuilder().setShards(shard, next).build();
            save(context);
            return done(ErrorCode.OK, "");
        }

        private byte[] deleteShard(ShardRef ref, ApplyContext context) throws RocksDBException {
            Failpoints.hit(Failpoints.SHARD_DELETE_BEFORE_WRITE);
            long num = state.getCurrent().getNum();
            if (ref.getConfigNum() > num) {
                return done(ErrorCode.WRONG_GROUP, "configuration " + ref.getConfigNum() + " is not applied here yet");
            }
            int shard = ref.getShard();
            if (ref.getConfigNum() < num || shard < 0 || shard >= state.getShardsCount()
                    || state.getShards(shard).getState() != ShardState.BEPULLING) {
                return done(ErrorCode.OK, "shard " + shard + " was deleted already");
            }
            KvDb db = context.db();
            deleteShardKeys(context, db.data, shard);
            deleteShardKeys(context, db.sessions, shard);
            sessions.set(shard, new SessionTable(sessionTtl));
            state = state.toBuilder().setShards(shard, ShardProgress.newBuilder().setState(ShardState.NOT_OWNED))
                    .build();
            save(context);
            deletedShards.add(shard);
            LOG.info("group {} deleted shard {} after handing it over in configuration {}", gid, shard, num);
            return done(ErrorCode.OK, "");
        }

        private byte[] previousDeleted(ShardRef ref, ApplyContext context) throws RocksDBException {
            int shard = ref.getShard();
            if (ref.getConfigNum() == state.getCurrent().getNum() && shard >= 0 && shard < state.getShardsCount()
                    && state.getShards(shard).getState() == ShardState.DELETING_PREVIOUS) {
                state = state.toBuilder().setShards(shard, ShardProgress.newBuilder().setState(ShardState.SERVING))
                        .build();
                save(context);
            }
            return done(ErrorCode.OK, "");
        }

        /**
         * Deletes every key of {@code shard} in {@code family}, one by one: a batch with an index cannot hold a range
         * delete, and the keys must be seen through the batch (a lagging replica may apply a write to the shard, the
         * configuration that hands it over, and its deletion in one batch).
         */
        private void deleteShardKeys(ApplyContext context, ColumnFamilyHandle family, int shard)
                throws RocksDBException {
            List<byte[]> keys = new ArrayList<>();
            try (RocksIterator base = context.db().db().newIterator(family);
                    RocksIterator it = context.batch().newIteratorWithBase(family, base)) {
                for (it.seek(ShardKeys.prefix(shard)); it.isValid() && ShardKeys.inShard(it.key(), shard); it.next()) {
                    keys.add(it.key());
                }
                it.status();
            }
            for (byte[] key : keys) {
                context.batch().delete(family, key);
            }
        }

        private void save(ApplyContext context) throws RocksDBException {
            context.batch().put(context.db().meta, GROUP_STATE_KEY, state.toByteArray());
        }

        private byte[] done(ErrorCode code, String message) {
            return ShardCommandResult.newBuilder().setCode(code).setMessage(message)
                    .setConfigNum(state.getCurrent().getNum()).build().toByteArray();
        }

        @Override
        public void written(KvDb db) throws RocksDBException {
            if (chunkInBatch) {
                chunkInBatch = false;
                Failpoints.hit(Failpoints.SHARD_CHUNK_WRITTEN);
            }
            view = current();
            sessionCount = countSessions();
            // Challenge 1: a deleted shard's bytes leave the disk now, not at some later compaction.
            for (int shard : deletedShards) {
                db.db().compactRange(db.data, ShardKeys.prefix(shard), ShardKeys.end(shard));
                db.db().compactRange(db.sessions, ShardKeys.prefix(shard), ShardKeys.end(shard));
                counters.deleted();
            }
            deletedShards.clear();
        }

        private int countSessions() {
            int n = 0;
            for (SessionTable table : sessions) {
                n += table.size();
            }
            return n;
        }

        private String describeStates() {
            StringBuilder out = new StringBuilder();
            for (int shard = 0; shard < state.getShardsCount(); shard++) {
                out.append(shard == 0 ? "" : " ").append(shard).append('=')
                        .append(state.getShards(shard).getState());
            }
            return out.toString();
        }

        @Override
        public int sessionCount() {
            return sessionCount;
        }
    }

    /** Shards moved by this replica since it started, for the metrics. */
    public static final class MigrationCounters {
        private final AtomicLong pulled = new AtomicLong();
        private final AtomicLong bytesPulled = new AtomicLong();
        private final AtomicLong deleted = new AtomicLong();

        void pulled(long bytes) {
            pulled.incrementAndGet();
            bytesPulled.addAndGet(bytes);
        }

        void deleted() {
            deleted.incrementAndGet();
        }

        public long shardsPulled() {
            return pulled.get();
        }

        public long bytesPulled() {
            return bytesPulled.get();
        }

        public long shardsDeleted() {
            return deleted.get();
        }
    }
}
