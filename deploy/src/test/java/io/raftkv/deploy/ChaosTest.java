package io.raftkv.deploy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Container faults against a 3-node cluster from the image, under concurrent clients in this JVM: each scenario's
 * history must be linearizable, every acknowledged append present exactly once, and a leader back within a bound
 * after each fault. The scenarios share one cluster (starting one costs a loaded machine 20-60 s); each heals every
 * fault it left before the next.
 */
@RequiresDocker
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ChaosTest {
    private static final int CLIENTS = 4;
    private static final Duration MIN_LOAD = Duration.ofSeconds(15);
    /** The longest a fault script may run (kill-all alone may wait 90 s for a leader). */
    private static final Duration SCRIPT_CAP = Duration.ofSeconds(150);

    private KvCluster cluster;
    private final List<ChaosRun.Leaderless> leaderless = new ArrayList<>();

    @BeforeAll
    void startCluster() {
        long start = System.nanoTime();
        cluster = KvCluster.start("chaos3", 3);
        System.out.printf("3-node cluster up in %.1f s%n", (System.nanoTime() - start) / 1e9);
    }

    @AfterEach
    void healFaults() {
        if (cluster != null) {
            cluster.heal();
        }
    }

    @AfterAll
    void stopCluster() {
        System.out.println("leaderless time per fault (3 nodes):");
        leaderless.forEach(System.out::println);
        if (cluster != null) {
            cluster.close();
        }
    }

    private void scenario(String name, ChaosRun.Script<KvCluster> script) {
        leaderless.addAll(ChaosRun.run(cluster, name, CLIENTS, MIN_LOAD, SCRIPT_CAP, script).faults());
    }

    @Test
    @Order(1)
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void sigkillTheLeaderAndRestartIt() {
        scenario("kill-leader", Faults.killLeader(2));
    }

    @Test
    @Order(2)
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void sigkillARandomNodeEveryFewSeconds() {
        scenario("kill-random", Faults.killRandomNode(3, new SplittableRandom(7)));
    }

    @Test
    @Order(3)
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void sigkillEveryNodeAtOnceAndRestartThem() {
        scenario("kill-all", Faults.killAll());
    }

    @Test
    @Order(4)
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void pauseTheLeaderAndUnpauseIt() {
        scenario("pause-leader", Faults.pauseLeader());
    }

    @Test
    @Order(5)
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void cutTheLeaderOffFromItsPeersWhileClientsStillReachIt() {
        scenario("peer-partition-leader", Faults.partitionLeaderFromPeers());
    }

    @Test
    @Order(6)
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void rollingRestartOfEveryNode() {
        scenario("rolling-restart", Faults.rollingRestart());
    }
}
