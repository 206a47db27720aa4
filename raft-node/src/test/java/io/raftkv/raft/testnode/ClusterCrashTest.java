package io.raftkv.raft.testnode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.raftkv.raft.testnode.proto.Outcome;
import io.raftkv.raft.testnode.proto.ProposeReply;
import io.raftkv.raft.testnode.proto.ProposeRequest;
import io.raftkv.raft.testnode.proto.StatusReply;
import io.raftkv.testkit.Eventually;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three and five real node processes on loopback under a steady stream of proposals, while the leader, a follower,
 * and finally every node are killed with SIGKILL and restarted. Afterwards every node must have applied the same
 * sequence, with no value twice, and every proposal that was acknowledged as applied must be in it, at the index it
 * was acknowledged with.
 */
class ClusterCrashTest {
    private static final Duration PHASE = Duration.ofSeconds(2);

    @TempDir
    Path dir;

    record Ack(String value, long index) {}

    @ParameterizedTest(name = "{0} nodes")
    @ValueSource(ints = {3, 5})
    void acknowledgedProposalsSurviveKills(int size) throws Exception {
        try (ProcessCluster cluster = new ProcessCluster(dir, size, List.of()).jvmArgs("-Xmx128m")) {
            cluster.startAll();
            String leader = cluster.awaitLeader(Duration.ofSeconds(30));
            ConcurrentLinkedQueue<Ack> acked = new ConcurrentLinkedQueue<>();
            Random random = new Random(size);
            try (LoadClients clients = LoadClients.start(3, (client, stop) -> load(cluster, client, acked, stop))) {
                sleep(PHASE);
                int before = acked.size();

                log("kill -9 the leader " + leader);
                cluster.kill(leader);
                String next = cluster.awaitLeader(Duration.ofSeconds(30));
                sleep(PHASE);
                cluster.start(leader);
                cluster.awaitUp(leader);
                awaitProgress(acked, "after the leader was killed");

                List<String> followers = new ArrayList<>(cluster.ids());
                followers.remove(cluster.awaitLeader(Duration.ofSeconds(30)));
                String follower = followers.get(random.nextInt(followers.size()));
                log("kill -9 the follower " + follower + " (leader " + next + ")");
                cluster.kill(follower);
                sleep(PHASE);
                awaitProgress(acked, "with a follower down");
                cluster.start(follower);
                cluster.awaitUp(follower);
                sleep(PHASE);

                log("kill -9 every node");
                for (String id : cluster.ids()) {
                    cluster.kill(id);
                }
                for (String id : cluster.ids()) {
                    cluster.start(id);
                }
                for (String id : cluster.ids()) {
                    cluster.awaitUp(id);
                }
                cluster.awaitLeader(Duration.ofSeconds(30));
                awaitProgress(acked, "after every node was killed");
                sleep(PHASE);
                assertTrue(acked.size() > before, "progress throughout");
                clients.assertAlive();
            }

            ProcessCluster.AppliedValues reference = verifyConverged(cluster, acked);
            log(size + " nodes: " + acked.size() + " acknowledged proposals, " + reference.values().size()
                    + " values applied identically on every node");
        }
    }


    /**
     * Waits until every node has applied the same log, then checks: the same values in the same order at the same
     * indexes on every node, no value twice, and every acknowledged value present at its acknowledged index.
     */
    static ProcessCluster.AppliedValues verifyConverged(ProcessCluster cluster, ConcurrentLinkedQueue<Ack> acked) {
        return verifyConverged(cluster, "", acked);
    }

    /** {@link #verifyConverged(ProcessCluster, ConcurrentLinkedQueue)} for the replicas of one group. */
    static ProcessCluster.AppliedValues verifyConverged(ProcessCluster cluster, String group,
            ConcurrentLinkedQueue<Ack> acked) {
        String finalLeader = cluster.awaitLeader(group, Duration.ofSeconds(30));
        Eventually.await("every node applies the same log of group '" + group + "'", Duration.ofSeconds(60), () -> {
            StatusReply lead = cluster.status(finalLeader, group);
            if (lead == null) {
                return false;
            }
            for (String id : cluster.ids()) {
                StatusReply s = cluster.status(id, group);
                if (s == null || s.getAppliedIndex() != lead.getCommitIndex()
                        || s.getValues() != lead.getValues()) {
                    return false;
                }
            }
            return true;
        });
        ProcessCluster.AppliedValues reference = cluster.applied(finalLeader, group);
        for (String id : cluster.ids()) {
            ProcessCluster.AppliedValues mine = cluster.applied(id, group);
            assertEquals(reference.values(), mine.values(), id + " applied another sequence");
            assertEquals(reference.indexes(), mine.indexes(), id + " applied values at other indexes");
        }
        Map<String, Long> where = new HashMap<>();
        for (int i = 0; i < reference.values().size(); i++) {
            Long previous = where.put(reference.values().get(i), reference.indexes().get(i));
            if (previous != null) {
                fail(reference.values().get(i) + " was applied twice, at " + previous + " and "
                        + reference.indexes().get(i));
            }
        }
        Set<String> missing = new HashSet<>();
        for (Ack ack : acked) {
            Long index = where.get(ack.value());
            if (index == null) {
                missing.add(ack.value());
            } else {
                assertEquals(ack.index(), index, ack.value() + " was acknowledged at another index");
            }
        }
        assertTrue(missing.isEmpty(), "acknowledged but not applied: " + missing);
        assertTrue(acked.size() >= 100, "only " + acked.size() + " proposals were acknowledged");
        return reference;
    }

    /** One client: proposes unique values to the node it believes leads, never the same value twice. */
    static void load(ProcessCluster cluster, int client, ConcurrentLinkedQueue<Ack> acked,
            AtomicBoolean stop) {
        load(cluster, "", "c" + client, acked, stop);
    }

    /** One client of {@code group}: values are {@code <prefix>-<n>}, so each names the client that proposed it. */
    static void load(ProcessCluster cluster, String group, String prefix, ConcurrentLinkedQueue<Ack> acked,
            AtomicBoolean stop) {
        String target = null;
        long n = 0;
        while (!stop.get()) {
            List<String> running = cluster.runningIds();
            if (running.isEmpty()) {
                pause();
                continue;
            }
            if (target == null || !running.contains(target)) {
                target = running.get(ThreadLocalRandom.current().nextInt(running.size()));
            }
            String value = prefix + "-" + (++n);
            ProposeReply reply = cluster.propose(target,
                    ProposeRequest.newBuilder().setGroup(group).setValue(value).build(), Duration.ofSeconds(3));
            if (reply.getOutcome() == Outcome.OK) {
                acked.add(new Ack(value, reply.getIndex()));
            } else if (reply.getOutcome() == Outcome.NOT_LEADER && !reply.getLeaderId().isEmpty()) {
                target = reply.getLeaderId();
            } else {
                target = null;
                pause();
            }
        }
    }

    static void awaitProgress(ConcurrentLinkedQueue<Ack> acked, String when) {
        int before = acked.size();
        Eventually.await("proposals are acknowledged " + when, Duration.ofSeconds(30),
                () -> acked.size() >= before + 20);
    }

    private static void pause() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void sleep(Duration d) throws InterruptedException {
        Thread.sleep(d.toMillis());
    }

    static void log(String message) {
        System.out.println(java.time.LocalTime.now() + " " + message);
    }
}
