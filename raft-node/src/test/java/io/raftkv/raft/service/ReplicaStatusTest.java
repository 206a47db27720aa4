package io.raftkv.raft.service;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.raftkv.common.json.JsonWriter;
import io.raftkv.raft.api.NodeStatus;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.RaftStatus;
import io.raftkv.raft.core.Role;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReplicaStatusTest {
    private static final Membership MEMBERS = new Membership(List.of("n1", "n2"), List.of("n3"),
            Map.of("n1", "10.0.0.1:7001", "n2", "10.0.0.2:7001", "n3", "10.0.0.3:7001"));

    @Test
    void aLeaderShowsEachMembersMatchLagAndReplicationState() {
        RaftStatus raft = new RaftStatus("n1", Role.LEADER, 3, "n1", "n1", 12, 11, 5, 12, "", Map.of(
                "n2", new RaftStatus.FollowerProgress(10, 11, "REPLICATE", 1, true),
                "n3", new RaftStatus.FollowerProgress(4, 5, "PROBE", 0, false)));
        ReplicaStatus.GroupState state = new ReplicaStatus.GroupState("kv",
                new NodeStatus("n1", Role.LEADER, 3, "n1", "10.0.0.1:7001", 12, 11, 12, 0), MEMBERS, raft, 5, 2048,
                1, 0, new ReplicaStatus.Requests(25.5, 1.25));
        JsonWriter json = new JsonWriter();
        ReplicaStatus.write(json, state, extra -> extra.field("config_num", 4));
        assertEquals("{\"group\":\"kv\",\"role\":\"leader\",\"term\":3,\"leader\":\"n1\","
                + "\"leader_address\":\"10.0.0.1:7001\",\"commit_index\":12,\"applied_index\":11,\"first_index\":5,"
                + "\"snapshot_index\":4,\"last_index\":12,\"last_contact_ms\":0,\"log_bytes\":2048,\"snapshots_sent\":1,"
                + "\"snapshots_installed\":0,\"requests_per_second\":25.500,\"request_mean_ms\":1.250,\"members\":["
                + "{\"id\":\"n1\",\"address\":\"10.0.0.1:7001\",\"role\":\"voter\",\"leader\":true,\"match\":12,"
                + "\"lag\":0,\"state\":\"leader\"},"
                + "{\"id\":\"n2\",\"address\":\"10.0.0.2:7001\",\"role\":\"voter\",\"leader\":false,\"match\":10,"
                + "\"lag\":2,\"state\":\"replicate\"},"
                + "{\"id\":\"n3\",\"address\":\"10.0.0.3:7001\",\"role\":\"learner\",\"leader\":false,\"match\":4,"
                + "\"lag\":8,\"state\":\"probe\"}],\"config_num\":4}", json.toString());
    }

    @Test
    void aFollowerShowsItsLeaderAndTheMembersWithoutProgress() {
        ReplicaStatus.GroupState state = new ReplicaStatus.GroupState("kv",
                new NodeStatus("n2", Role.FOLLOWER, 3, "n1", "10.0.0.1:7001", 12, 12, 12, 40), MEMBERS, null, 1, -1,
                0, 2, new ReplicaStatus.Requests(0, 0));
        JsonWriter json = new JsonWriter();
        ReplicaStatus.write(json, state, null);
        assertEquals("{\"group\":\"kv\",\"role\":\"follower\",\"term\":3,\"leader\":\"n1\","
                + "\"leader_address\":\"10.0.0.1:7001\",\"commit_index\":12,\"applied_index\":12,\"first_index\":1,"
                + "\"snapshot_index\":0,\"last_index\":12,\"last_contact_ms\":40,\"log_bytes\":-1,\"snapshots_sent\":0,"
                + "\"snapshots_installed\":2,\"requests_per_second\":0.000,\"request_mean_ms\":0.000,\"members\":["
                + "{\"id\":\"n1\",\"address\":\"10.0.0.1:7001\",\"role\":\"voter\",\"leader\":true},"
                + "{\"id\":\"n2\",\"address\":\"10.0.0.2:7001\",\"role\":\"voter\",\"leader\":false},"
                + "{\"id\":\"n3\",\"address\":\"10.0.0.3:7001\",\"role\":\"learner\",\"leader\":false}]}",
                json.toString());
    }
}
