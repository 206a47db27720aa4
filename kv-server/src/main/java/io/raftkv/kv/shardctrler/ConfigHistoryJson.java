package io.raftkv.kv.shardctrler;

import io.raftkv.common.json.JsonWriter;
import io.raftkv.proto.shardctrler.Config;
import io.raftkv.proto.shardctrler.ReplicaGroup;
import java.util.ArrayList;
import java.util.List;

/**
 * The controller's part of its status page: the latest configurations, newest first, each with every shard's group
 * and every group's servers (the page draws the newest as the shard map).
 */
public final class ConfigHistoryJson {
    /** How many configurations the page shows. */
    static final int SHOWN = 20;

    private ConfigHistoryJson() {}

    /** The latest {@link #SHOWN} configurations of {@code machine}, newest first. */
    public static void write(ControllerStateMachine machine, JsonWriter json) {
        List<Config> newestFirst = new ArrayList<>();
        long latest = machine.latest().getNum();
        for (long num = latest; num >= 0 && num > latest - SHOWN; num--) {
            newestFirst.add(machine.query(num));
        }
        write(newestFirst, json);
    }

    static void write(List<Config> newestFirst, JsonWriter json) {
        json.name("configurations").beginArray();
        for (Config config : newestFirst) {
            json.beginObject().field("num", config.getNum()).name("shards").beginArray();
            config.getShardsList().forEach(json::value);
            json.endArray().name("groups").beginArray();
            for (ReplicaGroup group : config.getGroupsList()) {
                json.beginObject().field("gid", group.getGid()).name("servers").beginArray();
                group.getServersList().forEach(json::value);
                json.endArray().endObject();
            }
            json.endArray().endObject();
        }
        json.endArray();
    }
}
