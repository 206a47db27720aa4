package io.raftkv.raft.testnode;

import io.raftkv.raft.testnode.ClusterCrashTest.Ack;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The longer version of {@link ClusterCrashTest}: five node processes under load through many rounds of random
 * SIGKILLs (the leader, a random minority, or everyone) and restarts, checked the same way at the end. The log is
 * kept small (64 KiB), so compaction runs all the time and nodes that were down catch up through snapshots, which
 * kills can interrupt at any point. Tagged soak:
 * {@code ./mvnw -B -o -Psoak -pl raft-node verify -Dtest=ClusterChaosSoakTest}.
 */
@Tag("soak")
class ClusterChaosSoakTest {
    @TempDir
    Path dir;

    @Test
    void acknowledgedProposalsSurviveManyRandomKills() throws Exception {
        int rounds = Integer.getInteger("raftkv.soak.rounds", 12);
        Random random = new Random(Long.getLong("raftkv.soak.seed", System.nanoTime()));
        try (ProcessCluster cluster = new ProcessCluster(dir, 5,
                List.of("--max-raft-state", "65536", "--catch-up-entries", "200")).jvmArgs("-Xmx128m")) {
            cluster.startAll();
            cluster.awaitLeader(Duration.ofSeconds(30));
            ConcurrentLinkedQueue<Ack> acked = new ConcurrentLinkedQueue<>();
            try (LoadClients clients = LoadClients.start(4,
                    (client, stop) -> ClusterCrashTest.load(cluster, client, acked, stop))) {
                for (int round = 1; round <= rounds; round++) {
                    List<String> victims = new ArrayList<>();
                    int kind = random.nextInt(3);
                    if (kind == 0) {
                        victims.add(cluster.awaitLeader(Duration.ofSeconds(30)));
                    } else if (kind == 1) {
                        List<String> ids = new ArrayList<>(cluster.ids());
                        Collections.shuffle(ids, random);
                        victims.addAll(ids.subList(0, 1 + random.nextInt(2)));
                    } else {
                        victims.addAll(cluster.ids());
                    }
                    ClusterCrashTest.log("round " + round + ": kill -9 " + victims);
                    for (String id : victims) {
                        cluster.kill(id);
                    }
                    Thread.sleep(500 + random.nextInt(2000));
                    for (String id : victims) {
                        cluster.start(id);
                    }
                    for (String id : victims) {
                        cluster.awaitUp(id);
                    }
                    ClusterCrashTest.awaitProgress(acked, "after round " + round);
                }
                clients.assertAlive();
            }
            ProcessCluster.AppliedValues reference = ClusterCrashTest.verifyConverged(cluster, acked);
            ClusterCrashTest.log(rounds + " rounds: " + acked.size() + " acknowledged proposals, "
                    + reference.values().size() + " values applied identically on every node; "
                    + cluster.countInLogs("installing snapshot") + " snapshot installs, "
                    + cluster.countInLogs("restoring") + " restores at start-up");
        }
    }
}
