package io.raftkv.kv.client.cli;

import io.raftkv.kv.client.NodeReport;
import io.raftkv.proto.kv.ShardState;
import io.raftkv.proto.kv.ShardStatus;
import io.raftkv.proto.kv.StatusReply;
import java.util.ArrayList;
import java.util.List;

/** The line {@code kv status} prints above a replica group's table: its configuration and its shards' states. */
final class GroupShards {
    private GroupShards() {}

    /** What the group's leader (or else any node that answered) says of the group's configuration and shards. */
    static String describe(List<NodeReport> nodes) {
        StatusReply best = best(nodes);
        if (best == null) {
            return "no node answered";
        }
        List<String> serving = new ArrayList<>();
        List<String> other = new ArrayList<>();
        for (ShardStatus shard : best.getShardsList()) {
            switch (shard.getState()) {
                case SERVING -> serving.add(shard.getShard() + " (" + keys(shard.getKeys()) + ")");
                case DELETING_PREVIOUS -> {
                    serving.add(shard.getShard() + " (" + keys(shard.getKeys()) + ")");
                    other.add(shard.getShard() + " " + label(shard.getState()));
                }
                case NOT_OWNED, UNRECOGNIZED -> { }
                default -> other.add(shard.getShard() + " " + label(shard.getState()));
            }
        }
        return "configuration " + best.getConfigNum() + " (as " + best.getNodeId() + " applied it); serving "
                + (serving.isEmpty() ? "no shards" : String.join(", ", serving))
                + (other.isEmpty() ? "" : "; moving: " + String.join(", ", other));
    }

    /** The group's leader's status, or else any node's that answered; null if none did. */
    static StatusReply best(List<NodeReport> nodes) {
        StatusReply best = null;
        for (NodeReport node : nodes) {
            if (node.reachable() && (best == null || node.status().getRole() == io.raftkv.proto.kv.Role.LEADER)) {
                best = node.status();
            }
        }
        return best;
    }

    private static String keys(long count) {
        return count == 1 ? "1 key" : count + " keys";
    }

    private static String label(ShardState state) {
        return switch (state) {
            case PULLING -> "pulling";
            case BEPULLING -> "waiting to be pulled and deleted";
            case DELETING_PREVIOUS -> "serving, previous owner deleting";
            default -> state.name().toLowerCase();
        };
    }
}
