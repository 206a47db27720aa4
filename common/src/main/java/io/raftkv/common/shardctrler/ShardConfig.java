package io.raftkv.common.shardctrler;

import io.raftkv.common.cli.HostPort;
import io.raftkv.proto.shardctrler.Config;
import io.raftkv.proto.shardctrler.ReplicaGroup;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One configuration of a sharded cluster, as the controller answered it: its number, the group serving each shard
 * (0: no group) and each group's servers.
 */
public record ShardConfig(long num, List<Long> shards, SortedMap<Long, List<HostPort>> groups) {

    public ShardConfig {
        shards = List.copyOf(shards);
        groups = Collections.unmodifiableSortedMap(new TreeMap<>(groups));
    }

    /** The configuration in a controller's reply; addresses are checked at Join, so they parse. */
    public static ShardConfig from(Config config) {
        SortedMap<Long, List<HostPort>> groups = new TreeMap<>();
        for (ReplicaGroup group : config.getGroupsList()) {
            List<HostPort> servers = new ArrayList<>();
            for (String server : group.getServersList()) {
                servers.add(HostPort.parse(server));
            }
            groups.put(group.getGid(), List.copyOf(servers));
        }
        return new ShardConfig(config.getNum(), config.getShardsList(), groups);
    }

    /** The configuration as the controller sends it (what a replica group replicates through its log). */
    public Config toProto() {
        Config.Builder config = Config.newBuilder().setNum(num).addAllShards(shards);
        groups.forEach((gid, servers) -> config.addGroups(ReplicaGroup.newBuilder().setGid(gid)
                .addAllServers(servers.stream().map(HostPort::toString).toList())));
        return config.build();
    }

    /** The group serving {@code shard}, 0 for none. */
    public long groupOf(int shard) {
        return shards.get(shard);
    }

    /** The configuration as the one-line JSON {@code shardctl query --json} prints. */
    public String toJson() {
        StringBuilder json = new StringBuilder("{\"num\":").append(num).append(",\"shards\":[");
        for (int i = 0; i < shards.size(); i++) {
            json.append(i == 0 ? "" : ",").append(shards.get(i));
        }
        json.append("],\"groups\":{");
        boolean first = true;
        for (Map.Entry<Long, List<HostPort>> group : groups.entrySet()) {
            json.append(first ? "" : ",").append('"').append(group.getKey()).append("\":[");
            first = false;
            List<HostPort> servers = group.getValue();
            for (int i = 0; i < servers.size(); i++) {
                json.append(i == 0 ? "" : ",").append('"').append(jsonEscape(servers.get(i).toString())).append('"');
            }
            json.append(']');
        }
        return json.append("}}").toString();
    }

    private static String jsonEscape(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        return out.toString();
    }
}
