package io.raftkv.kv.shardkv;

import com.google.protobuf.ByteString;
import io.raftkv.common.shardctrler.KeyShards;
import io.raftkv.proto.kv.ShardState;
import io.raftkv.proto.shardctrler.Config;
import io.raftkv.proto.shardctrler.ReplicaGroup;
import io.raftkv.proto.shardkv.GroupState;
import io.raftkv.proto.shardkv.ShardProgress;
import java.util.List;

/**
 * A replica group's replicated view of its shards, as of one applied log position: the configuration it has
 * applied, the one before it (whose owners it pulls from), and each shard's state. Immutable: the apply thread
 * publishes a new one after every batch, and the service, the migration loops and the metrics read it from any
 * thread. It is the only thing those loops derive their work from, never an event seen once at apply time.
 */
public record GroupView(long gid, GroupState state) {

    /** A group that has applied no configuration: it owns nothing. */
    static GroupView initial(long gid) {
        return new GroupView(gid, GroupState.newBuilder()
                .setCurrent(Config.newBuilder().setNum(0))
                .setPrevious(Config.newBuilder().setNum(0))
                .build());
    }

    public long configNum() {
        return state.getCurrent().getNum();
    }

    public Config current() {
        return state.getCurrent();
    }

    public Config previous() {
        return state.getPrevious();
    }

    /** Shards in the applied configuration (0 before the first). */
    public int shardCount() {
        return state.getCurrent().getShardsCount();
    }

    public ShardState stateOf(int shard) {
        return shard < state.getShardsCount() ? state.getShards(shard).getState() : ShardState.NOT_OWNED;
    }

    public ShardProgress progressOf(int shard) {
        return state.getShards(shard);
    }

    /** The shard of {@code key} in the applied configuration, or -1 before the first configuration. */
    public int shardOf(byte[] key) {
        int shards = shardCount();
        return shards == 0 ? -1 : KeyShards.shardOf(key, shards);
    }

    /** Whether this group serves {@code shard}: it is its own and its data is here. */
    public boolean serves(int shard) {
        ShardState s = stateOf(shard);
        return s == ShardState.SERVING || s == ShardState.DELETING_PREVIOUS;
    }

    /**
     * Nothing moving, so the next configuration may be applied: every shard SERVING or NOT_OWNED, or BEPULLING for
     * group 0 (no group will pull it; it waits frozen for a later configuration that gives it to a group).
     */
    public boolean settled() {
        for (int shard = 0; shard < state.getShardsCount(); shard++) {
            ShardState s = state.getShards(shard).getState();
            boolean heldForNobody = s == ShardState.BEPULLING && state.getCurrent().getShards(shard) == 0;
            if (s != ShardState.SERVING && s != ShardState.NOT_OWNED && !heldForNobody) {
                return false;
            }
        }
        return true;
    }

    /** The group that owned {@code shard} in the previous configuration (0: none). */
    public long previousOwner(int shard) {
        Config previous = state.getPrevious();
        return shard < previous.getShardsCount() ? previous.getShards(shard) : 0;
    }

    /** The servers of group {@code gid} as configuration {@code config} lists them. */
    public static List<String> serversOf(Config config, long gid) {
        for (ReplicaGroup group : config.getGroupsList()) {
            if (group.getGid() == gid) {
                return group.getServersList();
            }
        }
        return List.of();
    }

    /** Where the next chunk of a PULLING shard starts. */
    public ByteString resumeAfter(int shard) {
        return state.getShards(shard).getResumeAfter();
    }

    /** How many shards are in {@code s}. */
    public int count(ShardState s) {
        int n = 0;
        for (ShardProgress shard : state.getShardsList()) {
            if (shard.getState() == s) {
                n++;
            }
        }
        return n;
    }
}
