package io.raftkv.raft.testnode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.common.cli.HostPort;
import io.raftkv.raft.testnode.ClusterCrashTest.Ack;
import io.raftkv.raft.testnode.proto.MembershipReply;
import io.raftkv.raft.testnode.proto.MembershipRequest;
import io.raftkv.raft.testnode.proto.MembershipRequest.Op;
import io.raftkv.raft.testnode.proto.Outcome;
import io.raftkv.raft.testnode.proto.StatusReply;
import io.raftkv.testkit.Eventually;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node is replaced in a running group of three processes on loopback, under a steady stream of proposals: a fourth
 * process joins as a learner, is promoted, an original node is killed with SIGKILL and removed. The group never
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
                MembershipReply added = change(cluster, MembershipRequest.newBuilder().setOp(Op.ADD_LEARNER)
                        .setNode("n4").setAddress(address.target()).build());
                assertEquals(List.of("n4"), added.getLearnersList());
                ClusterCrashTest.awaitProgress(acked, "with a learner catching up");

                // Promotion waits until the learner is within the bound of the leader's log.
                MembershipReply promoted = change(cluster, MembershipRequest.newBuilder().setOp(Op.PROMOTE)
                        .setNode("n4").build());
                assertEquals(List.of("n1", "n2", "n3", "n4"), promoted.getVotersList());

                String leader = cluster.awaitLeader(Duration.ofSeconds(30));
                String lost = cluster.ids().stream().filter(id -> !id.equals(leader) && !id.equals("n4"))
                        .findFirst().orElseThrow();
                ClusterCrashTest.log("kill -9 " + lost + " and remove it (leader " + leader + ")");
                cluster.kill(lost);
                MembershipReply removed = change(cluster, MembershipRequest.newBuilder().setOp(Op.REMOVE)
                        .setNode(lost).build());
                assertEquals(3, removed.getVotersCount());
                assertTrue(!removed.getVotersList().contains(lost), removed.toString());
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

    /** Sends the change to the leader, following hints and retrying refusals that time cures (a lagging learner). */
    private static MembershipReply change(ProcessCluster cluster, MembershipRequest request) {
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
                    MembershipReply reply = cluster.changeMembership(leader, request);
                    if (reply.getOutcome() != Outcome.OK) {
                        ClusterCrashTest.log(request.getOp() + " " + request.getNode() + ": " + reply.getOutcome()
                                + " " + reply.getError());
                        return null;
                    }
                    return reply;
                });
    }
}
