package io.raftkv.kv.shardkv;

import io.raftkv.proto.kv.ShardState;
import io.raftkv.proto.shardctrler.Config;
import io.raftkv.proto.shardkv.GroupState;
import io.raftkv.proto.shardkv.ShardProgress;

/**
 * What moving from one configuration to its successor does to a group's shards (a pure function, the same on every
 * replica): a shard kept stays SERVING; a shard gained is PULLING from its previous owner; a shard lost is BEPULLING,
 * kept frozen for its new owner.
 *
 * <p>Group 0 (no group, after every group left) owns nothing: a shard lost to it stays frozen (BEPULLING) with its
 * holder, which counts as settled ({@link GroupView#settled}) and carries it through later configurations until one
 * gives the shard to a group: back to the holder (SERVING again, its data is here) or to another group, which pulls
 * it from the holder (its driver finds the holder in the controller's history, since the previous owner is 0). Only
 * in the first configuration is a shard from group 0 certainly empty, and served at once.
 */
final class ConfigStep {
    private ConfigStep() {}

    /** Why {@code next} cannot follow {@code state}'s configuration, or null when it can. */
    static String refusal(GroupView view, Config next) {
        if (next.getNum() != view.configNum() + 1) {
            return "configuration " + next.getNum() + " does not follow the applied " + view.configNum();
        }
        if (!view.settled()) {
            return "configuration " + view.configNum() + " is not settled yet";
        }
        int shards = view.shardCount();
        if (next.getShardsCount() == 0 || next.getShardsCount() > ShardKeys.MAX_SHARDS
                || (shards != 0 && shards != next.getShardsCount())) {
            return "configuration " + next.getNum() + " has " + next.getShardsCount() + " shards where "
                    + (shards == 0 ? "1 to " + ShardKeys.MAX_SHARDS : shards) + " belong";
        }
        return null;
    }

    /** The group state after {@code gid} applies {@code next} (which must pass {@link #refusal}). */
    static GroupState apply(long gid, GroupState state, Config next) {
        Config current = state.getCurrent();
        GroupState.Builder out = GroupState.newBuilder().setCurrent(next).setPrevious(current);
        for (int shard = 0; shard < next.getShardsCount(); shard++) {
            long before = shard < current.getShardsCount() ? current.getShards(shard) : 0;
            long after = next.getShards(shard);
            boolean holds = before == gid || (shard < state.getShardsCount()
                    && state.getShards(shard).getState() == ShardState.BEPULLING); // frozen for group 0
            ShardState now;
            if (after == gid) {
                now = holds || current.getNum() == 0 ? ShardState.SERVING : ShardState.PULLING;
            } else {
                now = holds ? ShardState.BEPULLING : ShardState.NOT_OWNED;
            }
            out.addShards(ShardProgress.newBuilder().setState(now));
        }
        return out.build();
    }
}
