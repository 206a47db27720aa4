package io.raftkv.kv.client.cli;

import io.raftkv.common.cli.HostPort;
import io.raftkv.common.shardctrler.ShardConfig;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** A configuration as {@code shardctl query} prints it: its number, each shard's group, each group's servers. */
final class ConfigTable {
    private ConfigTable() {}

    static String render(ShardConfig config) {
        StringBuilder out = new StringBuilder();
        out.append("configuration ").append(config.num()).append(": ").append(config.shards().size())
                .append(" shards, ").append(config.groups().size()).append(" groups\n");
        out.append(String.format("%-6s %s%n", "SHARD", "GROUP"));
        for (int shard = 0; shard < config.shards().size(); shard++) {
            long gid = config.groupOf(shard);
            out.append(String.format("%-6d %s%n", shard, gid == 0 ? "-" : Long.toString(gid)));
        }
        Map<Long, Integer> held = new TreeMap<>();
        for (long gid : config.shards()) {
            held.merge(gid, 1, Integer::sum);
        }
        out.append(String.format("%-6s %-6s %s%n", "GROUP", "SHARDS", "SERVERS"));
        for (Map.Entry<Long, List<HostPort>> group : config.groups().entrySet()) {
            out.append(String.format("%-6d %-6d %s%n", group.getKey(), held.getOrDefault(group.getKey(), 0),
                    group.getValue().stream().map(HostPort::toString).collect(Collectors.joining(","))));
        }
        return out.toString();
    }
}
