package io.raftkv.kv.server.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.common.client.ClientOptions;
import io.raftkv.common.faults.Failpoints;
import io.raftkv.common.shardctrler.ControllerClerk;
import io.raftkv.common.shardctrler.ShardConfig;
import io.raftkv.kv.client.Clerk;
import io.raftkv.kv.client.NodeReport;
import io.raftkv.kv.client.ShardedClerk;
import io.raftkv.kv.client.cli.KvCli;
import io.raftkv.kv.main.ShardCtrlerMain;
import io.raftkv.kv.server.process.CliProcess.Run;
import io.raftkv.proto.kv.ShardState;
import io.raftkv.proto.kv.ShardStatus;
import io.raftkv.testkit.Eventually;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sharded KV as real processes: a controller of three nodes and three replica groups of three kv-servers each, four
 * recording clients (ShardedClerks) appending and reading while groups join and leave and each group's leader is
 * SIGKILLed while shards move. The history must be linearizable, every acknowledged append present exactly once;
 * after the last change every shard is served by the group the latest configuration names, and the group that left
 * holds no key of any shard on any replica (challenge 1). The kv CLI works against it with --controller.
 */
class ShardedKvProcessTest {
    private static final int CLIENTS = 4;
    private static final List<String> APPEND_KEYS = List.of("a0", "a1", "a2", "a3", "a4", "a5");
    private static final String MIXED_KEY = "p0";
    private static final ClientOptions ADMIN = ClientOptions.DEFAULT.withTimeout(Duration.ofSeconds(30));
    private static final ClientOptions PATIENT_CLIENT = ClientOptions.DEFAULT.withTimeout(Duration.ofSeconds(8))
            .withAttemptTimeout(Duration.ofSeconds(1));
    private static final ClientOptions IMPATIENT_CLIENT = ClientOptions.DEFAULT
            .withTimeout(Duration.ofMillis(1_500)).withAttemptTimeout(Duration.ofMillis(400));

    @TempDir
    Path dir;

    @Test
    void groupsJoinAndLeaveUnderLoadWithLeadersKilledMidMigration() throws Exception {
        long started = System.nanoTime();
        try (KvProcessCluster controller = new KvProcessCluster(dir.resolve("ctrl"), ShardCtrlerMain.class,
                List.of("--shards", "10"))) {
            controller.startAll();
            controller.awaitLeaderByMetrics("shardctrler", Duration.ofSeconds(60));
            String controllerSpec = controller.clusterSpec();
            try (KvProcessCluster g100 = group(100, controllerSpec);
                    KvProcessCluster g200 = group(200, controllerSpec);
                    KvProcessCluster g300 = group(300, controllerSpec);
                    ControllerClerk admin = new ControllerClerk(controller.addresses(), ADMIN);
                    ClientFleet fleet = new ClientFleet(APPEND_KEYS, MIXED_KEY)) {
                g100.startAll();
                g200.startAll();
                g300.startAll();
                assertEquals(1, admin.join(Map.of(100L, g100.addresses())));
                for (int i = 0; i < CLIENTS; i++) {
                    fleet.start(ShardedClerk.connect(controller.addresses(),
                            i % 2 == 0 ? PATIENT_CLIENT : IMPATIENT_CLIENT), 3_000, Duration.ofMillis(15));
                }
                fleet.awaitProgress(60, "with group 100 alone");

                log("join 200 and 300, then kill -9 group 100's leader while shards move away from it");
                admin.join(Map.of(200L, g200.addresses(), 300L, g300.addresses()));
                killLeaderAndRestart(g100, "g100");
                awaitSettled(admin, g100, g200, g300);
                fleet.awaitProgress(60, "after 200 and 300 joined");

                log("leave 100, then kill -9 group 200's leader while it pulls, and a follower of 300");
                admin.leave(List.of(100L));
                killLeaderAndRestart(g200, "g200");
                String follower = g300.ids().stream()
                        .filter(id -> !id.equals(g300.awaitLeaderByMetrics("g300", Duration.ofSeconds(60))))
                        .findFirst().orElseThrow();
                g300.kill(follower);
                fleet.awaitProgress(30, "with a replica of 300 down");
                g300.start(follower);
                g300.awaitUp(follower);
                awaitSettled(admin, g100, g200, g300);
                fleet.awaitProgress(60, "after 100 left");
                assertGroupHoldsNothing(g100, "group 100 after it left");

                log("join 100 again: shards move back");
                admin.join(Map.of(100L, g100.addresses()));
                awaitSettled(admin, g100, g200, g300);
                fleet.awaitProgress(60, "after 100 joined again");

                ClientFleet.Verdict verdict;
                try (ShardedClerk reader = ShardedClerk.connect(controller.addresses(), ADMIN)) {
                    verdict = fleet.stopAndCheck(reader);
                }
                String pulled = g200.metrics(g200.awaitLeaderByMetrics("g200", Duration.ofSeconds(30)));
                log(String.format("%d operations (%d completed), %d acknowledged appends (%d unknown outcome),"
                                + " %s; %.1f s", verdict.operations(), fleet.completed(),
                        fleet.ledger().acknowledgedCount(), fleet.ledger().unknownCount(), verdict.linearizability(),
                        (System.nanoTime() - started) / 1e9));
                assertEquals(List.of(), verdict.appendProblems());
                assertTrue(verdict.linearizability().isLinearizable(), verdict.linearizability()::toString);
                assertTrue(fleet.ledger().acknowledgedCount() > 100, "too little traffic: "
                        + fleet.ledger().acknowledgedCount());
                assertTrue(PrometheusText.sum(pulled, "shardkv_shards_pulled_total") >= 1, pulled);
                assertTrue(PrometheusText.hasFamily(pulled, "shardkv_config_applied"), pulled);

                kvCliWorksWithTheController(controllerSpec);
            }
        }
    }

    /**
     * The shard migration's failpoints, each fired on a group's leader and on a follower while shards move (group 200
     * joins and leaves twice under two recording clients): a replica halts after writing a pulled chunk, or while
     * applying the delete of a shard handed over, restarts unarmed, and the shards settle; then chunks arrive
     * damaged, and the last move runs on a slow, lossy network. The history stays linearizable with every
     * acknowledged append once.
     */
    @Test
    void shardFailpointsOnALeaderAndOnAFollowerWhileShardsMove() throws Exception {
        try (KvProcessCluster controller = new KvProcessCluster(dir.resolve("ctrl"), ShardCtrlerMain.class,
                List.of("--shards", "6"))) {
            controller.startAll();
            controller.awaitLeaderByMetrics("shardctrler", Duration.ofSeconds(60));
            String controllerSpec = controller.clusterSpec();
            try (KvProcessCluster g100 = group(100, controllerSpec);
                    KvProcessCluster g200 = group(200, controllerSpec);
                    ControllerClerk admin = new ControllerClerk(controller.addresses(), ADMIN);
                    ClientFleet fleet = new ClientFleet(APPEND_KEYS, MIXED_KEY);
                    ShardPages pages = new ShardPages(controllerSpec, dir)) {
                g100.enableNetworkFaults();
                g200.enableNetworkFaults();
                g100.startAll();
                g200.startAll();
                admin.join(Map.of(100L, g100.addresses()));
                for (int i = 0; i < 2; i++) {
                    fleet.start(ShardedClerk.connect(controller.addresses(), PATIENT_CLIENT), 3_000,
                            Duration.ofMillis(15));
                }
                fleet.awaitProgress(40, "before the failpoints");
                Runnable join = () -> admin.join(Map.of(200L, g200.addresses()));
                Runnable leave = () -> admin.leave(List.of(200L));
                List<String> walked = new ArrayList<>();
                walked.add(fireDuringChange(g200, "g200", true, Failpoints.SHARD_CHUNK_WRITTEN, join, admin, g100,
                        g200));
                walked.add(fireDuringChange(g100, "g100", false, Failpoints.SHARD_CHUNK_WRITTEN, leave, admin, g100,
                        g200));
                walked.add(fireDuringChange(g100, "g100", true, Failpoints.SHARD_DELETE_BEFORE_WRITE, join, admin,
                        g100, g200));
                walked.add(fireDuringChange(g200, "g200", false, Failpoints.SHARD_DELETE_BEFORE_WRITE, leave, admin,
                        g100, g200));
                walked.add(damagedChunksDuringJoin(g100, g200, join, admin, pages));
                walked.add(leaveOnASlowLossyNetwork(g100, g200, leave, admin));
                fleet.awaitProgress(40, "after the failpoints");
                ClientFleet.Verdict verdict;
                try (ShardedClerk reader = ShardedClerk.connect(controller.addresses(), ADMIN)) {
                    verdict = fleet.stopAndCheck(reader);
                }
                log("shard failpoints walked: " + walked + "; " + verdict.operations() + " operations, "
                        + verdict.linearizability());
                assertEquals(List.of(), verdict.appendProblems());
                assertTrue(verdict.linearizability().isLinearizable(), verdict.linearizability()::toString);
                long latest = admin.query(ControllerClerk.LATEST).num();
                pages.assertReplicaShards(g100, "g100", latest, 6);
                pages.assertMapDrawn(latest, 6);
                pages.assertControllerPage(controller, latest, 6);
            }
        }
    }

    /**
     * Arms {@code point} on the leader of {@code group} (made leader first) or on a follower, makes the change, waits
     * for the replica to halt there, restarts it unarmed and waits for the shards to settle.
     */
    private String fireDuringChange(KvProcessCluster group, String name, boolean onLeader, String point,
            Runnable change, ControllerClerk admin, KvProcessCluster g100, KvProcessCluster g200) throws Exception {
        String leader = group.awaitLeaderByMetrics(name, Duration.ofSeconds(60));
        String target = onLeader ? leader : group.runningIds().stream().filter(id -> !id.equals(leader)).findFirst()
                .orElseThrow();
        Path trigger = dir.resolve(point + "-" + name + "-" + target);
        group.kill(target);
        group.startArmed(target, point, trigger);
        group.awaitUp(target);
        if (onLeader) {
            CliProcess kv = new CliProcess(KvCli.class, "kv", "KV_CLUSTER", dir);
            Eventually.await(target + " leads " + name, Duration.ofSeconds(60),
                    () -> kv.run(group.clusterSpec(), "move-leader", target).exitCode() == 0);
        }
        java.nio.file.Files.createFile(trigger);
        change.run();
        int status = group.awaitExit(target, Duration.ofSeconds(60));
        assertEquals(Failpoints.HALT_STATUS, status, () -> target + " exited " + status + ":\n"
                + group.tail(target, 20));
        assertTrue(group.tail(target, 40).contains("failpoint " + point + ": halting"), () -> group.tail(target, 40));
        group.start(target);
        group.awaitUp(target);
        awaitSettled(admin, g100, g200);
        return point + (onLeader ? " on " + name + "'s leader " : " on a follower of " + name + " ") + target;
    }

    /**
     * Every replica of g100 flips a bit of each chunk it serves (after its checksum) while g200 joins: g200's leader
     * drops them, so no shard moves until the damage stops; then the shards move whole.
     */
    private String damagedChunksDuringJoin(KvProcessCluster g100, KvProcessCluster g200, Runnable join,
            ControllerClerk admin, ShardPages pages) throws Exception {
        Path trigger = dir.resolve("flip-bits");
        for (String id : g100.ids()) {
            g100.kill(id);
            g100.startArmed(id, Failpoints.SHARD_CHUNK_FLIP_BIT, trigger);
            g100.awaitUp(id);
        }
        g100.awaitLeaderByMetrics("g100", Duration.ofSeconds(60));
        MetricsTally damaged = new MetricsTally("shardkv_chunks_damaged_total");
        java.nio.file.Files.createFile(trigger);
        join.run();
        Eventually.await("g200 drops a damaged chunk", Duration.ofSeconds(60), () -> {
            damaged.sample(g200);
            return damaged.total() >= 3;
        });
        pages.awaitPulling(200); // no chunk gets through: the shards stay pulling, and the dashboard says so
        java.nio.file.Files.delete(trigger);
        awaitSettled(admin, g100, g200);
        long shown = pages.millisUntilServed(200);
        assertTrue(shown <= 2_000, "the dashboard showed the shards served " + shown + " ms after they were");
        damaged.sample(g200);
        return Failpoints.SHARD_CHUNK_FLIP_BIT + " on every replica of g100 (" + (long) damaged.total()
                + " damaged chunks dropped; the dashboard showed group 200 pulling, then serving " + shown
                + " ms after every replica had settled)";
    }

    /**
     * Both groups' Raft traffic turns slow and lossy (75 ± 50 ms, 20% lost, 5% duplicated, 25% reordered) while g200
     * leaves, so every chunk g100 pulls commits through it; the shards still settle.
     */
    private static String leaveOnASlowLossyNetwork(KvProcessCluster g100, KvProcessCluster g200, Runnable leave,
            ControllerClerk admin) {
        String lossy = "delay=75ms jitter=50ms loss=20% duplicate=5% reorder=25%";
        for (KvProcessCluster group : List.of(g100, g200)) {
            group.ids().forEach(id -> group.setNetworkFaults(id, lossy));
        }
        long start = System.nanoTime();
        leave.run();
        awaitSettled(admin, g100, g200);
        long settledMillis = (System.nanoTime() - start) / 1_000_000;
        for (KvProcessCluster group : List.of(g100, g200)) {
            group.ids().forEach(id -> group.setNetworkFaults(id, ""));
        }
        return "g200 left on a network of " + lossy + " (settled in " + settledMillis + " ms)";
    }

    private void kvCliWorksWithTheController(String controllerSpec) {
        CliProcess kv = new CliProcess(KvCli.class, "kv", "KV_CONTROLLER", dir);
        assertEquals(0, kv.run(controllerSpec, "put", "cli-key", "hello").exitCode());
        Run get = kv.run(controllerSpec, "get", "cli-key");
        assertEquals(0, get.exitCode(), get.output());
        assertTrue(get.output().contains("hello"), get.output());
        Run status = kv.run(controllerSpec, "status");
        assertEquals(0, status.exitCode(), status.output());
        assertTrue(status.output().contains("group 100") && status.output().contains("group 300"),
                status.output());
        assertTrue(status.output().contains("LEADER"), status.output());
    }

    private KvProcessCluster group(long gid, String controllerSpec) {
        return new KvProcessCluster(dir.resolve("g" + gid),
                List.of("--group", Long.toString(gid), "--controller", controllerSpec));
    }

    /** SIGKILLs the group's leader as soon as the change is under way, then restarts it. */
    private static void killLeaderAndRestart(KvProcessCluster group, String name) {
        String leader = group.awaitLeaderByMetrics(name, Duration.ofSeconds(60));
        log("kill -9 " + name + "'s leader " + leader);
        group.kill(leader);
        group.awaitLeaderByMetrics(name, Duration.ofSeconds(60));
        group.start(leader);
        group.awaitUp(leader);
    }

    /**
     * Waits until every replica of every group has applied the latest configuration with every shard settled, and
     * each shard is served by exactly the group the configuration names.
     */
    private static void awaitSettled(ControllerClerk admin, KvProcessCluster... groups) {
        ShardConfig latest = admin.query(ControllerClerk.LATEST);
        long[] gids = {100, 200, 300};
        Eventually.await("every replica settles in configuration " + latest.num(), Duration.ofSeconds(90), () -> {
            for (int g = 0; g < groups.length; g++) {
                try (Clerk clerk = Clerk.connect(groups[g].addresses(), ADMIN.withAttemptTimeout(
                        Duration.ofSeconds(3)))) {
                    for (NodeReport report : clerk.status()) {
                        if (!report.reachable() || report.status().getConfigNum() != latest.num()) {
                            return false;
                        }
                        for (ShardStatus shard : report.status().getShardsList()) {
                            boolean owner = latest.groupOf(shard.getShard()) == gids[g];
                            ShardState expected = owner ? ShardState.SERVING : ShardState.NOT_OWNED;
                            if (shard.getState() != expected) {
                                return false;
                            }
                        }
                    }
                }
            }
            return true;
        });
    }

    private static void assertGroupHoldsNothing(KvProcessCluster group, String what) {
        try (Clerk clerk = Clerk.connect(group.addresses(), ADMIN.withAttemptTimeout(Duration.ofSeconds(3)))) {
            for (NodeReport report : clerk.status()) {
                assertTrue(report.reachable(), what + ": " + report.address() + " " + report.error());
                long keys = report.status().getShardsList().stream().mapToLong(ShardStatus::getKeys).sum();
                assertEquals(0, keys, what + ": " + report.status().getNodeId() + " still holds keys "
                        + report.status().getShardsList());
            }
        }
    }

    private static void log(String message) {
        System.out.println("[ShardedKvProcessTest] " + message);
        System.out.flush();
    }
}
