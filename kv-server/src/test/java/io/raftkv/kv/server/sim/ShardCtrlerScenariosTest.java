package io.raftkv.kv.server.sim;

import static io.raftkv.raft.sim.Scheduler.SECONDS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.kv.shardctrler.ConfigChanges;
import io.raftkv.kv.shardctrler.ControllerStateMachine;
import io.raftkv.kv.shardctrler.MinimumMoves;
import io.raftkv.kv.shardctrler.Rebalancer;
import io.raftkv.proto.service.ErrorCode;
import io.raftkv.proto.shardctrler.ChangeReply;
import io.raftkv.proto.shardctrler.Config;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The 6.824 shardctrler tests (TestBasic, TestMulti) on the simulated controller cluster: 3 nodes with the real state
 * machine and service, each check as the lab makes it, plus ours: every Join and Leave moves exactly the minimum
 * number of shards (the lab only checks that groups that stayed kept theirs), a change retried after a leader change
 * is applied once, and the replicas store byte-identical configurations.
 */
class ShardCtrlerScenariosTest {
    private static final int NPARA = 10;

    static Stream<Long> seeds() {
        return SimSettings.seeds();
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void basic(long seed) throws IOException {
        try (CtrlSimCluster cluster = new CtrlSimCluster(3, seed, false)) {
            SimCtrlClerk ck = cluster.newClerk();
            List<Config> history = new ArrayList<>();

            // Basic leave/join
            history.add(query(cluster, ck, -1));
            check(cluster, ck, List.of());
            join(cluster, ck, Map.of(1L, List.of("x:1", "y:1", "z:1")));
            check(cluster, ck, List.of(1L));
            history.add(query(cluster, ck, -1));
            join(cluster, ck, Map.of(2L, List.of("a:1", "b:1", "c:1")));
            check(cluster, ck, List.of(1L, 2L));
            history.add(query(cluster, ck, -1));
            Config latest = query(cluster, ck, -1);
            assertEquals(List.of("x:1", "y:1", "z:1"), ConfigChanges.groupsOf(latest).get(1L).getServersList());
            assertEquals(List.of("a:1", "b:1", "c:1"), ConfigChanges.groupsOf(latest).get(2L).getServersList());
            leave(cluster, ck, List.of(1L));
            check(cluster, ck, List.of(2L));
            history.add(query(cluster, ck, -1));
            leave(cluster, ck, List.of(2L));
            history.add(query(cluster, ck, -1));

            historicalQueries(cluster, ck, history);

            // Move
            join(cluster, ck, Map.of(503L, List.of("3a:1", "3b:1", "3c:1")));
            join(cluster, ck, Map.of(504L, List.of("4a:1", "4b:1", "4c:1")));
            for (int shard = 0; shard < CtrlSimCluster.SHARDS; shard++) {
                Config before = query(cluster, ck, -1);
                long target = shard < CtrlSimCluster.SHARDS / 2 ? 503 : 504;
                ChangeReply moved = change(cluster, ck.move(shard, target));
                assertEquals(ErrorCode.OK, moved.getCode(), moved.getMessage());
                Config after = query(cluster, ck, -1);
                assertTrue(after.getNum() > before.getNum(), "Move should increase Config.Num");
                assertEquals(before.getNum() + 1, after.getNum());
            }
            Config moved = query(cluster, ck, -1);
            for (int shard = 0; shard < CtrlSimCluster.SHARDS; shard++) {
                assertEquals(shard < CtrlSimCluster.SHARDS / 2 ? 503 : 504, moved.getShards(shard),
                        "shard " + shard + " after the moves");
            }
            leave(cluster, ck, List.of(503L));
            leave(cluster, ck, List.of(504L));

            // Concurrent leave/join
            List<Long> gids = new ArrayList<>();
            List<SimCtrlClerk> clerks = new ArrayList<>();
            for (int i = 0; i < NPARA; i++) {
                gids.add((long) i + 1);
                clerks.add(cluster.newClerk());
            }
            runConcurrently(cluster, clerks, (i, clerk) -> List.of(
                    () -> clerk.join(Map.of(gids.get(i) + 1000, List.of("s" + gids.get(i) + "a:1"))),
                    () -> clerk.join(Map.of(gids.get(i), List.of("s" + gids.get(i) + "b:1"))),
                    () -> clerk.leave(List.of(gids.get(i) + 1000))));
            check(cluster, ck, gids);

            // Minimal transfers after joins, then after leaves
            Config c1 = query(cluster, ck, -1);
            for (int i = 0; i < 5; i++) {
                join(cluster, ck, Map.of((long) NPARA + 1 + i, List.of("a:1", "b:1", "c:1")));
            }
            Config c2 = query(cluster, ck, -1);
            keptOnlyTheirOwn(c1, c2, gids, "Join()s");
            for (int i = 0; i < 5; i++) {
                leave(cluster, ck, List.of((long) NPARA + 1 + i));
            }
            Config c3 = query(cluster, ck, -1);
            keptAllTheirOwn(c2, c3, gids, "Leave()s");

            replicasAgree(cluster);
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void multi(long seed) throws IOException {
        try (CtrlSimCluster cluster = new CtrlSimCluster(3, seed, false)) {
            SimCtrlClerk ck = cluster.newClerk();
            List<Config> history = new ArrayList<>();

            // Multi-group join/leave
            history.add(query(cluster, ck, -1));
            check(cluster, ck, List.of());
            Map<Long, List<String>> both = new LinkedHashMap<>();
            both.put(1L, List.of("x:1", "y:1", "z:1"));
            both.put(2L, List.of("a:1", "b:1", "c:1"));
            join(cluster, ck, both);
            check(cluster, ck, List.of(1L, 2L));
            history.add(query(cluster, ck, -1));
            join(cluster, ck, Map.of(3L, List.of("j:1", "k:1", "l:1")));
            check(cluster, ck, List.of(1L, 2L, 3L));
            history.add(query(cluster, ck, -1));
            Config latest = query(cluster, ck, -1);
            assertEquals(List.of("j:1", "k:1", "l:1"), ConfigChanges.groupsOf(latest).get(3L).getServersList());
            leave(cluster, ck, List.of(1L, 3L));
            check(cluster, ck, List.of(2L));
            history.add(query(cluster, ck, -1));
            leave(cluster, ck, List.of(2L));
            history.add(query(cluster, ck, -1));
            historicalQueries(cluster, ck, history);

            // Concurrent multi leave/join
            List<Long> gids = new ArrayList<>();
            List<SimCtrlClerk> clerks = new ArrayList<>();
            for (int i = 0; i < NPARA; i++) {
                gids.add((long) i + 1);
                clerks.add(cluster.newClerk());
            }
            runConcurrently(cluster, clerks, (i, clerk) -> {
                long gid = gids.get(i);
                Map<Long, List<String>> three = new LinkedHashMap<>();
                three.put(gid, List.of(gid + "a:1", gid + "b:1", gid + "c:1"));
                three.put(gid + 1000, List.of(gid + "a:1"));
                three.put(gid + 2000, List.of(gid + "a:1"));
                return List.of(() -> clerk.join(three), () -> clerk.leave(List.of(gid + 1000, gid + 2000)));
            });
            check(cluster, ck, gids);

            // Minimal transfers after multijoins, then after multileaves
            Config c1 = query(cluster, ck, -1);
            Map<Long, List<String>> five = new LinkedHashMap<>();
            for (int i = 0; i < 5; i++) {
                five.put((long) NPARA + 1 + i, List.of("a:1", "b:1", "c:1"));
            }
            join(cluster, ck, five);
            Config c2 = query(cluster, ck, -1);
            keptOnlyTheirOwn(c1, c2, gids, "Join()");
            leave(cluster, ck, List.copyOf(five.keySet()));
            Config c3 = query(cluster, ck, -1);
            keptAllTheirOwn(c2, c3, gids, "Leave()");

            // Check Same config on servers: a new leader answers the latest configuration the old one did
            String leader = cluster.leader();
            Config before = query(cluster, ck, -1);
            cluster.crash(leader);
            Config after = query(cluster, ck, -1);
            assertEquals(before, after, "the new leader answers another latest configuration");
            cluster.restart(leader);
            replicasAgree(cluster);
        }
    }

    /** A change applied, then retried with the same client id and sequence after the leader died: applied once. */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void aJoinRetriedAfterALeaderChangeIsAppliedOnce(long seed) throws IOException {
        try (CtrlSimCluster cluster = new CtrlSimCluster(3, seed, false)) {
            SimCtrlClerk ck = cluster.newClerk();
            SimCtrlClerk.Call first = cluster.await(ck.join(Map.of(7L, List.of("a:1"))));
            long num = SimCtrlClerk.change(first).getNum();
            String leader = cluster.leader();
            cluster.crash(leader);
            ChangeReply retried = SimCtrlClerk.change(cluster.await(ck.resend(first.request())));
            assertEquals(ErrorCode.OK, retried.getCode(), retried.getMessage());
            assertEquals(num, retried.getNum(), "the retry answers the first configuration");
            assertEquals(num, query(cluster, ck, -1).getNum(), "no second configuration");
            assertTrue(!retried.getNodeId().equals(leader), "answered by the new leader");
        }
    }

    /** Concurrent joins and leaves over a network that loses requests and replies: every change applied once. */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void unreliableConcurrentChangesApplyOnce(long seed) throws IOException {
        try (CtrlSimCluster cluster = new CtrlSimCluster(3, seed, true)) {
            List<SimCtrlClerk> clerks = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                clerks.add(cluster.newClerk());
            }
            runConcurrently(cluster, clerks, (i, clerk) -> List.of(
                    () -> clerk.join(Map.of(100L + i, List.of("a:1"))),
                    () -> clerk.join(Map.of(200L + i, List.of("b:1"))),
                    () -> clerk.leave(List.of(100L + i))));
            SimCtrlClerk ck = cluster.newClerk();
            Config latest = query(cluster, ck, -1);
            assertEquals(15, latest.getNum(), "15 changes made " + latest.getNum() + " configurations");
            check(cluster, ck, List.of(200L, 201L, 202L, 203L, 204L));
            cluster.sim().network().unreliable(false);
            replicasAgree(cluster);
        }
    }

    // ---- the lab's helpers, with the minimum checked exactly

    private interface Steps {
        List<Supplier<SimCtrlClerk.Call>> of(int index, SimCtrlClerk clerk);
    }

    /** Each clerk runs its steps in order, all clerks at once; every step must succeed. */
    private static void runConcurrently(CtrlSimCluster cluster, List<SimCtrlClerk> clerks, Steps steps) {
        List<List<Supplier<SimCtrlClerk.Call>>> plans = new ArrayList<>();
        List<SimCtrlClerk.Call> current = new ArrayList<>();
        int[] next = new int[clerks.size()];
        for (int i = 0; i < clerks.size(); i++) {
            plans.add(steps.of(i, clerks.get(i)));
            current.add(plans.get(i).get(0).get());
            next[i] = 1;
        }
        boolean finished = cluster.runUntil(() -> {
            boolean all = true;
            for (int i = 0; i < clerks.size(); i++) {
                SimCtrlClerk.Call call = current.get(i);
                if (call.done()) {
                    ChangeReply reply = SimCtrlClerk.change(call);
                    assertEquals(ErrorCode.OK, reply.getCode(), reply.getMessage());
                    if (next[i] < plans.get(i).size()) {
                        current.set(i, plans.get(i).get(next[i]++).get());
                        all = false;
                    }
                } else {
                    all = false;
                }
            }
            return all;
        }, 120 * SECONDS);
        if (!finished) {
            throw cluster.fail("concurrent changes did not finish within 120 s");
        }
    }

    private static Config query(CtrlSimCluster cluster, SimCtrlClerk ck, long num) {
        return SimCtrlClerk.config(cluster.await(ck.query(num)));
    }

    private static void join(CtrlSimCluster cluster, SimCtrlClerk ck, Map<Long, List<String>> groups) {
        Config before = query(cluster, ck, -1);
        ChangeReply reply = change(cluster, ck.join(groups));
        assertEquals(ErrorCode.OK, reply.getCode(), reply.getMessage());
        assertMinimal(before, query(cluster, ck, -1));
    }

    private static void leave(CtrlSimCluster cluster, SimCtrlClerk ck, List<Long> gids) {
        Config before = query(cluster, ck, -1);
        ChangeReply reply = change(cluster, ck.leave(gids));
        assertEquals(ErrorCode.OK, reply.getCode(), reply.getMessage());
        assertMinimal(before, query(cluster, ck, -1));
    }

    private static ChangeReply change(CtrlSimCluster cluster, SimCtrlClerk.Call call) {
        return SimCtrlClerk.change(cluster.await(call));
    }

    private static void assertMinimal(Config before, Config after) {
        assertEquals(before.getNum() + 1, after.getNum());
        int moved = Rebalancer.ownerChanges(ConfigChanges.shardsOf(before), ConfigChanges.shardsOf(after));
        int minimum = MinimumMoves.of(ConfigChanges.shardsOf(before),
                new TreeSet<>(ConfigChanges.groupsOf(after).keySet()));
        assertEquals(minimum, moved, "configuration " + after.getNum() + " moved more shards than needed");
    }

    /** The lab's check(): the latest configuration has exactly these groups, every shard on one, balanced. */
    private static void check(CtrlSimCluster cluster, SimCtrlClerk ck, List<Long> groups) {
        Config c = query(cluster, ck, -1);
        assertEquals(new TreeSet<>(groups), new TreeSet<>(ConfigChanges.groupsOf(c).keySet()), "wanted groups");
        if (!groups.isEmpty()) {
            for (int shard = 0; shard < c.getShardsCount(); shard++) {
                assertTrue(groups.contains(c.getShards(shard)), "shard " + shard + " is unallocated or on a gone group");
            }
        }
        Map<Long, Integer> counts = ConfigChanges.shardCounts(c);
        if (!counts.isEmpty()) {
            int min = counts.values().stream().mapToInt(Integer::intValue).min().orElseThrow();
            int max = counts.values().stream().mapToInt(Integer::intValue).max().orElseThrow();
            assertTrue(max <= min + 1, "max " + max + " too much larger than min " + min);
        }
    }

    /** The lab's historical queries: with each server down in turn, every old configuration reads back unchanged. */
    private static void historicalQueries(CtrlSimCluster cluster, SimCtrlClerk ck, List<Config> history) {
        for (String server : cluster.all()) {
            cluster.crash(server);
            for (Config config : history) {
                assertEquals(config, query(cluster, ck, config.getNum()), "historical configuration "
                        + config.getNum() + " with " + server + " down");
            }
            cluster.restart(server);
        }
    }

    /** The lab's minimal-transfer check after joins: a group that stayed holds no shard it did not hold before. */
    private static void keptOnlyTheirOwn(Config before, Config after, List<Long> kept, String what) {
        for (int shard = 0; shard < before.getShardsCount(); shard++) {
            if (kept.contains(after.getShards(shard))) {
                assertEquals(before.getShards(shard), after.getShards(shard),
                        "non-minimal transfer after " + what + ": shard " + shard);
            }
        }
    }

    /** The lab's minimal-transfer check after leaves: a group that stayed still holds every shard it held. */
    private static void keptAllTheirOwn(Config before, Config after, List<Long> kept, String what) {
        for (int shard = 0; shard < before.getShardsCount(); shard++) {
            if (kept.contains(before.getShards(shard))) {
                assertEquals(before.getShards(shard), after.getShards(shard),
                        "non-minimal transfer after " + what + ": shard " + shard);
            }
        }
    }

    /** Once the cluster is quiet, every replica stores the same bytes for every configuration. */
    private static void replicasAgree(CtrlSimCluster cluster) {
        long latest = cluster.stateOf(cluster.leader()).latest().getNum();
        cluster.runUntil(() -> cluster.all().stream()
                .allMatch(id -> cluster.stateOf(id).latest().getNum() == latest), 30 * SECONDS);
        ControllerStateMachine first = cluster.stateOf(cluster.all().get(0));
        for (String id : cluster.all()) {
            for (long num = 0; num <= latest; num++) {
                assertArrayEquals(first.storedConfig(num), cluster.stateOf(id).storedConfig(num),
                        "configuration " + num + " on " + id);
            }
        }
    }
}
