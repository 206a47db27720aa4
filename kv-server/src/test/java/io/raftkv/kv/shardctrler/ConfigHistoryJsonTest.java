package io.raftkv.kv.shardctrler;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.raftkv.common.json.JsonWriter;
import io.raftkv.proto.shardctrler.Config;
import io.raftkv.proto.shardctrler.ReplicaGroup;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConfigHistoryJsonTest {
    @Test
    void eachConfigurationWithItsShardOwnersAndGroupServers() {
        Config first = Config.newBuilder().setNum(0).addAllShards(List.of(0L, 0L)).build();
        Config second = Config.newBuilder().setNum(1).addAllShards(List.of(100L, 200L))
                .addGroups(ReplicaGroup.newBuilder().setGid(100).addServers("a1:7001").addServers("a2:7001"))
                .addGroups(ReplicaGroup.newBuilder().setGid(200).addServers("b1:7001")).build();
        JsonWriter json = new JsonWriter().beginObject();
        ConfigHistoryJson.write(List.of(second, first), json);
        assertEquals("{\"configurations\":[{\"num\":1,\"shards\":[100,200],\"groups\":["
                + "{\"gid\":100,\"servers\":[\"a1:7001\",\"a2:7001\"]},{\"gid\":200,\"servers\":[\"b1:7001\"]}]},"
                + "{\"num\":0,\"shards\":[0,0],\"groups\":[]}]}", json.endObject().toString());
    }
}
