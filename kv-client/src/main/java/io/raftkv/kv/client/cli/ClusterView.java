package io.raftkv.kv.client.cli;

import io.raftkv.common.cli.HostPort;
import io.raftkv.common.json.JsonWriter;
import io.raftkv.kv.client.NodeReport;
import io.raftkv.proto.kv.ShardStatus;
import io.raftkv.proto.kv.StatusReply;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What {@code kv dashboard} shows, as the JSON its page polls: every group's nodes as one round of status requests
 * found them (a node that did not answer is down, under the id it had when it last answered), who leads, how far each
 * node's applied index trails the group's highest commit index, and for a sharded store the shard map with each
 * shard's state at its owner.
 */
final class ClusterView {
    /** One group's nodes as they answered. */
    record Group(String name, List<NodeReport> nodes) {}

    /** A sharded store's map: the configuration and each shard's owner (null for an unsharded one). */
    record ShardMap(long configNum, List<Long> owners) {}

    private ClusterView() {}

    static String json(List<Group> groups, ShardMap map, Map<HostPort, String> knownIds, long timeMillis) {
        JsonWriter json = new JsonWriter().beginObject().field("kind", map == null ? "kv" : "sharded")
                .field("time_ms", timeMillis);
        if (map != null) {
            json.field("config_num", map.configNum()).name("shard_owners").beginArray();
            map.owners().forEach(json::value);
            json.endArray();
        }
        json.name("groups").beginArray();
        for (Group group : groups) {
            writeGroup(json, group, knownIds);
        }
        return json.endArray().endObject().toString();
    }

    /** The view when the store could not be read: why, and no groups. */
    static String unreadable(boolean sharded, String why, long timeMillis) {
        return new JsonWriter().beginObject().field("kind", sharded ? "sharded" : "kv").field("time_ms", timeMillis)
                .field("error", why).name("groups").beginArray().endArray().endObject().toString();
    }

    private static void writeGroup(JsonWriter json, Group group, Map<HostPort, String> knownIds) {
        long highestCommit = 0;
        String leader = "";
        for (NodeReport node : group.nodes()) {
            if (node.reachable()) {
                highestCommit = Math.max(highestCommit, node.status().getCommitIndex());
                if (node.status().getRole() == io.raftkv.proto.kv.Role.LEADER) {
                    leader = node.status().getNodeId();
                }
            }
        }
        json.beginObject().field("name", group.name()).field("leader", leader).name("nodes").beginArray();
        for (NodeReport node : group.nodes()) {
            json.beginObject().field("address", node.address().toString());
            if (node.reachable()) {
                StatusReply s = node.status();
                json.field("id", s.getNodeId()).field("up", true)
                        .field("role", s.getRole().name().toLowerCase(Locale.ROOT))
                        .field("term", s.getTerm())
                        .field("leader", s.getLeaderId())
                        .field("commit_index", s.getCommitIndex())
                        .field("applied_index", s.getAppliedIndex())
                        .field("lag", Math.max(0, highestCommit - s.getAppliedIndex()))
                        .field("last_contact_ms", s.getLastContactMillisAgo());
            } else {
                json.field("id", knownIds.getOrDefault(node.address(), "")).field("up", false)
                        .field("error", node.error() == null ? "" : node.error());
            }
            json.endObject();
        }
        json.endArray();
        StatusReply best = GroupShards.best(group.nodes());
        if (best != null && best.getShardsCount() > 0) {
            json.field("config_num", best.getConfigNum()).name("shards").beginArray();
            for (ShardStatus shard : best.getShardsList()) {
                json.beginObject().field("shard", shard.getShard())
                        .field("state", shard.getState().name().toLowerCase(Locale.ROOT))
                        .field("keys", shard.getKeys()).endObject();
            }
            json.endArray();
        }
        json.endObject();
    }
}
