package io.raftkv.kv.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.raftkv.common.cli.HostPort;
import io.raftkv.kv.client.NodeReport;
import io.raftkv.proto.kv.Role;
import io.raftkv.proto.kv.ShardState;
import io.raftkv.proto.kv.ShardStatus;
import io.raftkv.proto.kv.StatusReply;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClusterViewTest {
    private static final HostPort A = new HostPort("127.0.0.1", 7001);
    private static final HostPort B = new HostPort("127.0.0.1", 7002);
    private static final HostPort C = new HostPort("127.0.0.1", 7003);

    private static NodeReport up(HostPort address, String id, Role role, long commit, long applied) {
        return new NodeReport(address, StatusReply.newBuilder().setNodeId(id).setRole(role).setTerm(4)
                .setLeaderId("n1").setCommitIndex(commit).setAppliedIndex(applied)
                .setLastContactMillisAgo(role == Role.LEADER ? 0 : 30).build(), null);
    }

    @Test
    void aClusterShowsItsLeaderEachNodesLagAndADownNodeUnderTheIdItLastHad() {
        String json = ClusterView.json(List.of(new ClusterView.Group("kv", List.of(
                up(A, "n1", Role.LEADER, 50, 50), up(B, "n2", Role.FOLLOWER, 48, 40),
                new NodeReport(C, null, "unreachable (connection refused)")))), null, Map.of(C, "n3"), 1000);
        assertEquals("{\"kind\":\"kv\",\"time_ms\":1000,\"groups\":[{\"name\":\"kv\",\"leader\":\"n1\",\"nodes\":["
                + "{\"address\":\"127.0.0.1:7001\",\"id\":\"n1\",\"up\":true,\"role\":\"leader\",\"term\":4,"
                + "\"leader\":\"n1\",\"commit_index\":50,\"applied_index\":50,\"lag\":0,\"last_contact_ms\":0},"
                + "{\"address\":\"127.0.0.1:7002\",\"id\":\"n2\",\"up\":true,\"role\":\"follower\",\"term\":4,"
                + "\"leader\":\"n1\",\"commit_index\":48,\"applied_index\":40,\"lag\":10,\"last_contact_ms\":30},"
                + "{\"address\":\"127.0.0.1:7003\",\"id\":\"n3\",\"up\":false,"
                + "\"error\":\"unreachable (connection refused)\"}]}]}", json);
    }

    @Test
    void aShardedStoreShowsTheMapAndEachGroupsShardsAsItsLeaderHasThem() {
        StatusReply leader = StatusReply.newBuilder().setNodeId("a1").setRole(Role.LEADER).setTerm(2)
                .setLeaderId("a1").setCommitIndex(9).setAppliedIndex(9).setConfigNum(3)
                .addShards(ShardStatus.newBuilder().setShard(0).setState(ShardState.SERVING).setKeys(5))
                .addShards(ShardStatus.newBuilder().setShard(1).setState(ShardState.PULLING).setKeys(2)).build();
        String json = ClusterView.json(List.of(new ClusterView.Group("100", List.of(new NodeReport(A, leader,
                null)))), new ClusterView.ShardMap(3, List.of(100L, 100L)), Map.of(), 5);
        assertEquals("{\"kind\":\"sharded\",\"time_ms\":5,\"config_num\":3,\"shard_owners\":[100,100],\"groups\":["
                + "{\"name\":\"100\",\"leader\":\"a1\",\"nodes\":[{\"address\":\"127.0.0.1:7001\",\"id\":\"a1\","
                + "\"up\":true,\"role\":\"leader\",\"term\":2,\"leader\":\"a1\",\"commit_index\":9,"
                + "\"applied_index\":9,\"lag\":0,\"last_contact_ms\":0}],\"config_num\":3,\"shards\":["
                + "{\"shard\":0,\"state\":\"serving\",\"keys\":5},{\"shard\":1,\"state\":\"pulling\",\"keys\":2}]}]}",
                json);
    }

    @Test
    void aStoreThatCannotBeReadSaysWhy() {
        assertEquals("{\"kind\":\"sharded\",\"time_ms\":7,\"error\":\"no controller answered\",\"groups\":[]}",
                ClusterView.unreadable(true, "no controller answered", 7));
    }
}
