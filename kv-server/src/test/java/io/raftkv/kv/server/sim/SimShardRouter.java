package io.raftkv.kv.server.sim;

import io.raftkv.common.shardctrler.KeyShards;
import io.raftkv.proto.shardctrler.Config;
import io.raftkv.proto.shardctrler.ReplicaGroup;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A sharded clerk's view of the store, as the ShardedClerk keeps it: the latest configuration it has read from the
 * controller (refreshed when a group answers WRONG_GROUP), and from it the servers of each key's group.
 */
final class SimShardRouter implements SimClerk.Router {
    private final SimCtrlClerk controller;
    private Config config = Config.getDefaultInstance();

    SimShardRouter(SimCtrlClerk controller) {
        this.controller = controller;
    }

    @Override
    public List<String> serversFor(String key) {
        if (config.getShardsCount() == 0) {
            return List.of();
        }
        long gid = config.getShards(KeyShards.shardOf(key.getBytes(StandardCharsets.UTF_8),
                config.getShardsCount()));
        for (ReplicaGroup group : config.getGroupsList()) {
            if (group.getGid() == gid) {
                return group.getServersList();
            }
        }
        return List.of();
    }

    @Override
    public void refresh(Runnable then) {
        SimCtrlClerk.Call call = controller.query(-1);
        call.whenDone(reply -> {
            Config latest = SimCtrlClerk.config(call);
            if (latest.getNum() > config.getNum()) {
                config = latest;
            }
            then.run();
        });
    }
}
