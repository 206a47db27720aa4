package io.raftkv.kv.shardkv;

import com.google.protobuf.ByteString;
import io.raftkv.common.faults.Failpoints;
import io.raftkv.kv.state.KvDb;
import io.raftkv.kv.state.KvStateMachine;
import io.raftkv.kv.state.KvStorageException;
import io.raftkv.proto.kv.ShardState;
import io.raftkv.proto.shardkv.GroupState;
import io.raftkv.proto.shardkv.PullShardReply;
import io.raftkv.proto.shardkv.PullShardRequest;
import io.raftkv.proto.shardkv.ShardEntry;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Snapshot;

/**
 * One replica's state of a replica group: the {@link KvStateMachine} under {@link ShardGroupRules}, and the reads
 * that must see the group state and the data at one instant (a RocksDB snapshot): a client's get, and a chunk of a
 * shard pulled by its new owner. Reads run on any thread.
 */
public final class ShardGroupReplica implements AutoCloseable {
    /** A chunk of a pulled shard holds about this many bytes (at least one key, whatever its size). */
    public static final int CHUNK_BYTES = 1 << 20;

    private final KvStateMachine machine;
    private final ShardGroupRules rules;

    private ShardGroupReplica(KvStateMachine machine, ShardGroupRules rules) {
        this.machine = machine;
        this.rules = rules;
    }

    /** Opens (or creates) the state of a replica of group {@code gid} in {@code dir}. */
    public static ShardGroupReplica open(Path dir, long gid, Duration sessionTtl) throws IOException {
        ShardGroupRules rules = new ShardGroupRules(gid, sessionTtl);
        return new ShardGroupReplica(KvStateMachine.open(dir, rules), rules);
    }

    public KvStateMachine machine() {
        return machine;
    }

    public long gid() {
        return rules.gid();
    }

    public GroupView view() {
        return rules.view();
    }

    public ShardGroupRules.MigrationCounters counters() {
        return rules.counters();
    }

    /** What a read of a key found: its value (null: no such key), or that the group does not serve its shard. */
    public record ReadResult(boolean served, byte[] value, long configNum) {}

    /** Reads {@code key} if the group serves its shard at this instant. */
    public ReadResult get(byte[] key) {
        return machine.read(db -> atSnapshot(db, options -> {
            GroupView view = new GroupView(gid(), state(db, options));
            int shard = view.shardOf(key);
            if (shard < 0 || !view.serves(shard)) {
                return new ReadResult(false, null, view.configNum());
            }
            return new ReadResult(true, db.db().get(db.data, options, ShardKeys.dataKey(shard, key)),
                    view.configNum());
        }));
    }

    /**
     * The next chunk of a shard this group hands over in the request's configuration: NOT_YET until this replica
     * has applied it, GONE once the group moved past it (the shard was handed over and deleted).
     */
    public PullShardReply pull(PullShardRequest request, int maxBytes) {
        return machine.read(db -> atSnapshot(db, options -> {
            GroupView view = new GroupView(gid(), state(db, options));
            PullShardReply.Builder reply = PullShardReply.newBuilder().setConfigNum(view.configNum());
            int shard = request.getShard();
            if (view.configNum() < request.getConfigNum()) {
                return reply.setStatus(PullShardReply.Status.NOT_YET).build();
            }
            if (view.configNum() > request.getConfigNum() || shard < 0 || shard >= view.shardCount()
                    || view.stateOf(shard) != ShardState.BEPULLING) {
                return reply.setStatus(PullShardReply.Status.GONE).build();
            }
            reply.setStatus(PullShardReply.Status.CHUNK);
            byte[] start = request.getAfterKey().isEmpty() ? ShardKeys.prefix(shard)
                    : ShardKeys.dataKey(shard, request.getAfterKey().toByteArray());
            long bytes = 0;
            boolean more = false;
            try (RocksIterator it = db.db().newIterator(db.data, options)) {
                for (it.seek(start); it.isValid() && ShardKeys.inShard(it.key(), shard); it.next()) {
                    byte[] stored = it.key();
                    byte[] user = ShardKeys.userKey(stored);
                    if (!request.getAfterKey().isEmpty() && request.getAfterKey().equals(ByteString.copyFrom(user))) {
                        continue; // the chunk starts after this key
                    }
                    if (bytes >= maxBytes && reply.getEntriesCount() > 0) {
                        more = true;
                        break;
                    }
                    byte[] value = it.value();
                    reply.addEntries(ShardEntry.newBuilder().setKey(ByteString.copyFrom(user))
                            .setValue(ByteString.copyFrom(value)));
                    bytes += user.length + value.length;
                }
                it.status();
            }
            if (!more) {
                reply.setLast(true);
                try {
                    reply.addAllSessions(ShardKeys.sessions(shard).read(db, options));
                } catch (IOException e) {
                    throw new KvStorageException(e.getMessage(), e);
                }
            }
            reply.setChecksum(ChunkChecksum.of(reply.getEntriesList(), reply.getLast(), reply.getSessionsList()));
            if (Failpoints.firing(Failpoints.SHARD_CHUNK_FLIP_BIT)) {
                flipOneBit(reply, shard);
            }
            return reply.build();
        }));
    }

    /** The damage {@link Failpoints#SHARD_CHUNK_FLIP_BIT} does: one bit of the first value (or of the checksum). */
    private static void flipOneBit(PullShardReply.Builder reply, int shard) {
        if (reply.getEntriesCount() > 0 && !reply.getEntries(0).getValue().isEmpty()) {
            byte[] value = reply.getEntries(0).getValue().toByteArray();
            value[value.length / 2] ^= 0x10;
            reply.setEntries(0, reply.getEntries(0).toBuilder().setValue(ByteString.copyFrom(value)));
        } else {
            reply.setChecksum(reply.getChecksum() ^ 0x10);
        }
        System.err.println("failpoint " + Failpoints.SHARD_CHUNK_FLIP_BIT + ": flipped a bit of a chunk of shard "
                + shard);
    }

    /** How many keys this replica holds of each shard (for status; walks the data). */
    public long[] keysPerShard() {
        return machine.read(db -> atSnapshot(db, options -> {
            int shards = Math.max(new GroupView(gid(), state(db, options)).shardCount(), 0);
            long[] counts = new long[shards];
            try (RocksIterator it = db.db().newIterator(db.data, options)) {
                for (it.seekToFirst(); it.isValid(); it.next()) {
                    byte[] key = it.key();
                    int shard = (key[0] & 0xff) << 8 | (key[1] & 0xff);
                    if (shard < shards) {
                        counts[shard]++;
                    }
                }
                it.status();
            }
            return counts;
        }));
    }

    /** The bytes of the clients' keys and values this replica stores, over every shard (a logical size). */
    public long storedBytes() {
        return machine.read(db -> {
            long bytes = 0;
            try (RocksIterator it = db.db().newIterator(db.data)) {
                for (it.seekToFirst(); it.isValid(); it.next()) {
                    bytes += it.key().length - ShardKeys.PREFIX_BYTES + it.value().length;
                }
                it.status();
            }
            return bytes;
        });
    }

    private GroupState state(KvDb db, ReadOptions options) {
        try {
            return ShardGroupRules.readState(db, options, gid());
        } catch (IOException e) {
            throw new KvStorageException(e.getMessage(), e);
        }
    }

    private interface SnapshotRead<T> {
        T read(ReadOptions options) throws RocksDBException;
    }

    private static <T> T atSnapshot(KvDb db, SnapshotRead<T> reading) throws RocksDBException {
        Snapshot snapshot = db.db().getSnapshot();
        try (ReadOptions options = new ReadOptions().setSnapshot(snapshot)) {
            return reading.read(options);
        } finally {
            db.db().releaseSnapshot(snapshot);
        }
    }

    @Override
    public void close() {
        machine.close();
    }
}
