package io.raftkv.deploy;

import io.raftkv.common.client.ClientOptions;
import io.raftkv.common.shardctrler.ShardConfig;
import io.raftkv.kv.client.KvClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Container faults against the sharded store while shards move: a controller of 3 and groups 100, 200 and 300 of 3
 * replicas each (12 containers), about 30 MiB of data spread over the 10 shards so that every move takes a while, and
 * 4 recording clients on one append key per shard. Each scenario's history must be linearizable and every
 * acknowledged append present exactly once; after it, every shard is served by exactly the group the latest
 * configuration names and no replica holds a key of a shard it does not own. Each scenario reports how long the keys
 * of the moving shards and of the others went unanswered.
 */
@RequiresDocker
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ShardedChaosTest {
    static final int SHARDS = 10;
    static final List<Long> GIDS = List.of(100L, 200L, 300L);
    static final int CLIENTS = 4;
    private static final Duration MIN_LOAD = Duration.ofSeconds(10);
    /**
     * The longest fault script, the rolling restart (three waves of four containers stopped and started, each JVM
     * cold, 12 on 2 cores), has taken 150-153 s on a busy machine: the cap leaves room above that.
     */
    private static final Duration SCRIPT_CAP = Duration.ofSeconds(210);
    /** Enough data per shard that a move spans several chunks and a fault can land in the middle of it. */
    private static final int BALLAST_VALUES_PER_SHARD = 24;
    private static final int BALLAST_VALUE_BYTES = 128 * 1024;

    private ShardedCluster cluster;
    private final List<String> report = new ArrayList<>();

    @BeforeAll
    void startCluster() {
        long start = System.nanoTime();
        cluster = start("sharded-chaos");
        System.out.printf("sharded cluster (12 containers) up, joined and loaded in %.1f s%n",
                (System.nanoTime() - start) / 1e9);
    }

    /** The cluster with groups 100 and 200 joined and the ballast written; 300 is left to join. */
    static ShardedCluster start(String label) {
        ShardedCluster cluster = ShardedCluster.start(label, SHARDS, GIDS);
        try {
            cluster.join(GIDS.subList(0, 2));
            cluster.awaitSettled(cluster.latest(), Duration.ofSeconds(120));
            loadBallast(cluster);
            return cluster;
        } catch (RuntimeException | Error e) {
            cluster.close();
            throw e;
        }
    }

    private static void loadBallast(ShardedCluster cluster) {
        byte[] value = new byte[BALLAST_VALUE_BYTES];
        java.util.Arrays.fill(value, (byte) 'b');
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < BALLAST_VALUES_PER_SHARD; i++) {
            keys.addAll(cluster.keysInDistinctShards("ballast-" + i, SHARDS));
        }
        try (KvClient client = cluster.client(ClientOptions.DEFAULT.withTimeout(Duration.ofSeconds(60)))) {
            IntStream.range(0, 4).parallel().forEach(part -> {
                for (int k = part; k < keys.size(); k += 4) {
                    client.put(keys.get(k).getBytes(java.nio.charset.StandardCharsets.UTF_8), value);
                }
            });
        }
    }

    @AfterAll
    void stopCluster() {
        System.out.println("sharded chaos, per scenario: faults and the longest time a key went unanswered");
        report.forEach(System.out::println);
        if (cluster != null) {
            cluster.close();
        }
    }

    /**
     * Runs one scenario with a {@link ShardProbe} beside the clients, heals every fault (also when the scenario
     * failed, so the next starts whole), waits for every shard to settle, and returns what it measured.
     */
    static List<String> scenario(ShardedCluster cluster, String name, ChaosRun.Script<ShardedCluster> script) {
        ShardConfig before = cluster.latest();
        List<String> keys = cluster.keysInDistinctShards(name + "/a", SHARDS);
        ChaosRun.Outcome outcome;
        List<Duration> gaps;
        try (ShardProbe probe = ShardProbe.start(cluster)) {
            try {
                outcome = ChaosRun.run(cluster, name, keys, CLIENTS, MIN_LOAD, SCRIPT_CAP, script);
            } finally {
                cluster.heal();
            }
            gaps = probe.longestGaps(outcome.scriptStart(), outcome.scriptEnd());
        }
        ShardConfig after = cluster.latest();
        cluster.awaitSettled(after, Duration.ofSeconds(120));
        List<String> lines = new ArrayList<>();
        outcome.faults().forEach(fault -> lines.add(fault.toString()));
        lines.add(unavailability(name, before, after, movedShards(cluster, before, after), gaps));
        return lines;
    }

    /** The shards that changed owner in some configuration from {@code before} to {@code after}. */
    private static java.util.Set<Integer> movedShards(ShardedCluster cluster, ShardConfig before, ShardConfig after) {
        java.util.Set<Integer> moved = new java.util.TreeSet<>();
        ShardConfig previous = before;
        for (long num = before.num() + 1; num <= after.num(); num++) {
            ShardConfig next = cluster.admin().query(num);
            for (int shard = 0; shard < next.shards().size(); shard++) {
                if (previous.groupOf(shard) != next.groupOf(shard)) {
                    moved.add(shard);
                }
            }
            previous = next;
        }
        return moved;
    }

    /** The longest time a moved shard and an unmoved one went without a successful read while the faults ran. */
    private static String unavailability(String name, ShardConfig before, ShardConfig after,
            java.util.Set<Integer> movedShards, List<Duration> gaps) {
        long moved = 0;
        long others = 0;
        int movedCount = 0;
        for (int shard = 0; shard < gaps.size(); shard++) {
            if (movedShards.contains(shard)) {
                moved = Math.max(moved, gaps.get(shard).toMillis());
                movedCount++;
            } else {
                others = Math.max(others, gaps.get(shard).toMillis());
            }
        }
        return String.format("%-22s configuration %d -> %d: longest unavailability %6d ms of the %d moved shards,"
                + " %6d ms of the %d others", name, before.num(), after.num(), moved, movedCount, others,
                gaps.size() - movedCount);
    }

    private void scenario(String name, ChaosRun.Script<ShardedCluster> script) {
        report.addAll(scenario(cluster, name, script));
    }

    @Test
    @Order(1)
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void sigkillTheLeaderOfAGroupWhileItPullsAShard() {
        scenario("kill-puller-leader", ShardFaults.killPullerLeader());
    }

    @Test
    @Order(2)
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void sigkillTheLeaderOfTheGroupShardsArePulledFrom() {
        scenario("kill-source-leader", ShardFaults.killSourceLeader());
    }

    @Test
    @Order(3)
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void sigkillAndPauseTheControllerLeaderDuringJoinAndLeave() {
        scenario("controller-kill-pause", ShardFaults.killAndPauseControllerLeader());
    }

    @Test
    @Order(4)
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void aWholeGroupDiesDuringALeaveAndTheOtherShardsKeepServing() {
        scenario("kill-group-during-leave", ShardFaults.killWholeGroupDuringLeave());
    }

    @Test
    @Order(5)
    @Timeout(value = 8, unit = TimeUnit.MINUTES)
    void rollingRestartOfEveryContainerDuringARebalance() {
        scenario("rolling-restart", ShardFaults.rollingRestartDuringRebalance());
    }

    @Test
    @Order(6)
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void peerPartitionOfTheLeaderOfEveryGroupDuringAChange() {
        scenario("peer-partition-leaders", ShardFaults.partitionLeadersFromPeers());
    }

    @Test
    @Order(7)
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void aReplicaOfAGroupIsReplacedWhileItsShardsAreServed() {
        scenario("replace-a-replica", ShardFaults.replaceAReplica());
    }
}
