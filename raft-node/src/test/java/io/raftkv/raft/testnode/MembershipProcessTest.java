package io.raftkv.raft.testnode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.common.cli.HostPort;
import io.raftkv.raft.testnode.ClusterCrashTest.Ack;
import io.raftkv.proto.members.Member;
import io.raftkv.proto.members.MemberChangeReply;
import io.raftkv.proto.members.MemberChangeRequest;
import io.raftkv.proto.members.MemberChangeRequest.Op;
import io.raftkv.proto.service.ErrorCode;
import io.raftkv.raft.testnode.proto.StatusReply;
import io.raftkv.testkit.Eventually;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node is replaced in a running group of three processes on loopback, through the processes' Members API, under a
 * steady stream of proposals: a fourth process joins as a learner, is promoted, an original node is killed with SIGKILL and removed. The group never
 * restarts. Afterwards every remaining node has applied the same sequence, no value twice, and every acknowledged
 * proposal at the index it was acknowledged with.
 */
class MembershipProcessTest {
    @TempDir
    Path dir;

    @Test
    void aKilledNodeIsReplacedUnderLoadWithoutLosingAnAcknowledgedWrite() throws Exception {
        try (ProcessCluster cluster = new ProcessCluster(dir, 3, List.of()).jvmArgs("-Xmx128m")) {
            cluster.startAll();
            cluster.awaitLeader(Duration.ofSeconds(30));
            ConcurrentLinkedQueue<Ack> acked = new ConcurrentLinkedQueue<>();
            try (LoadClients clients = LoadClients.start(2,
                    (client, stop) -> ClusterCrashTest.load(cluster, client, acked, stop))) {
                ClusterCrashTest.awaitProgress(acked, "before the change");

                HostPort address = cluster.startJoiner("n4");
                MemberChangeReply added = change(cluster, MemberChangeRequest.newBuilder().setOp(Op.ADD_LEARNER)
                        .setNode("n4").setAddress(address.target()).build());
                assertEquals(List.of("n4"), added.getMembersList().stream().filter(Member::getLearner)
                        .map(Member::getId).toList());
                assertEquals(address.target(), added.getMembersList().stream().filter(m -> m.getId().equals("n4"))
                        .findFirst().orElseThrow().getAddress());
                ClusterCrashTest.awaitProgress(acked, "with a learner catching up");

                // Promotion waits until the learner is within the bound of the leader's log.
                MemberChangeReply promoted = change(cluster, MemberChangeRequest.newBuilder().setOp(Op.PROMOTE)
                        .setNode("n4").build());
                assertEquals(List.of("n1", "n2", "n3", "n4"), voters(promoted));

                String leader = cluster.awaitLeader(Duration.ofSeconds(30));
                String lost = cluster.ids().stream().filter(id -> !id.equals(leader) && !id.equals("n4"))
                        .findFirst().orElseThrow();
                ClusterCrashTest.log("kill -9 " + lost + " and remove it (leader " + leader + ")");
                cluster.kill(lost);
                MemberChangeReply removed = change(cluster, MemberChangeRequest.newBuilder().setOp(Op.REMOVE)
                        .setNode(lost).build());
                assertEquals(3, voters(removed).size());
                assertTrue(!voters(removed).contains(lost), removed.toString());
                cluster.forget(lost);

                // The new majority includes n4: with the leader gone too, n4 and the last original elect one.
                String before = cluster.awaitLeader(Duration.ofSeconds(30));
                ClusterCrashTest.log("kill -9 the leader " + before + "; restart it");
                cluster.kill(before);
                cluster.awaitLeader(Duration.ofSeconds(30));
                ClusterCrashTest.awaitProgress(acked, "on the new majority");
                cluster.start(before);
                cluster.awaitUp(before);
                ClusterCrashTest.awaitProgress(acked, "after the change");
                clients.assertAlive();
            }
            ProcessCluster.AppliedValues reference = ClusterCrashTest.verifyConverged(cluster, acked);
            ClusterCrashTest.log("replaced a node: " + acked.size() + " acknowledged proposals, "
                    + reference.values().size() + " values applied identically on " + cluster.ids());
        }
    }

    private static List<String> voters(MemberChangeReply reply) {
        return reply.getMembersList().stream().filter(m -> !m.getLearner()).map(Member::getId).toList();
    }

    /** Sends the change to the leader, following hints and retrying refusals that time cures (a lagging learner). */
    private static MemberChangeReply change(ProcessCluster cluster, MemberChangeRequest request) {
        return Eventually.awaitValue(request.getOp() + " " + request.getNode() + " commits", Duration.ofSeconds(60),
                () -> {
                    // Not awaitLeader: a node that joins follows no one until it is added.
                    String leader = cluster.runningIds().stream().filter(id -> {
                        StatusReply s = cluster.status(id);
                        return s != null && s.getRole().equals("LEADER");
                    }).findFirst().orElse(null);
                    if (leader == null) {
                        return null;
                    }
                    MemberChangeReply reply = cluster.changeMembership(leader, request);
                    if (reply.getCode() != ErrorCode.OK) {
                        ClusterCrashTest.log(request.getOp() + " " + request.getNode() + ": " + reply.getCode()
                                + " " + reply.getMessage());
                        return null;
                    }
                    return reply;
                });
    }
}
