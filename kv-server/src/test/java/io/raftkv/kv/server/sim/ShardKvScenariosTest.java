package io.raftkv.kv.server.sim;

import static io.raftkv.raft.sim.Scheduler.MILLIS;
import static io.raftkv.raft.sim.Scheduler.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.common.shardctrler.KeyShards;
import io.raftkv.testkit.AppendLedger;
import io.raftkv.testkit.linearizability.CheckResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The 6.824 Lab 4B tests and both challenges on the deterministic simulator ({@link ShardSimCluster}: the real
 * controller, replica group state machines, services and drivers over simulated Raft groups), with gids 100, 101 and
 * 102 of three replicas each. Every run also checks, after every applied entry, that no two groups serve one shard
 * in one configuration. A failure names its seed; {@code -Draftkv.kvsim.seed=N} re-runs it.
 */
class ShardKvScenariosTest {
    private static final List<Long> GIDS = List.of(100L, 101L, 102L);
    private static final long A = 100;
    private static final long B = 101;
    private static final long C = 102;

    static Stream<Long> seeds() {
        return SimSettings.seeds();
    }

    private static ShardSimCluster cluster(long seed, long maxRaftState, boolean unreliable) throws IOException {
        return new ShardSimCluster(seed, GIDS, maxRaftState, unreliable);
    }

    /** The {@code n}th key (by name) of {@code shard}. */
    private static String keyOf(int shard, int n) {
        for (int i = 0; ; i++) {
            String key = "k" + n + "-" + i;
            if (KeyShards.shardOf(key.getBytes(StandardCharsets.UTF_8), ShardSimCluster.SHARDS) == shard) {
                return key;
            }
        }
    }

    private static List<String> keys(int perShard) {
        List<String> keys = new ArrayList<>();
        for (int n = 0; n < perShard; n++) {
            for (int shard = 0; shard < ShardSimCluster.SHARDS; shard++) {
                keys.add(keyOf(shard, n));
            }
        }
        return keys;
    }

    private static int shardOf(String key) {
        return KeyShards.shardOf(key.getBytes(StandardCharsets.UTF_8), ShardSimCluster.SHARDS);
    }

    /** Runs one operation to its end (30 s of virtual time at most) and returns its outcome. */
    private static Outcome run(ShardSimCluster cluster, ClerkCall call, String what) {
        if (!cluster.runUntil(call::done, 40 * SECONDS)) {
            throw cluster.fail(what + " did not finish within 40 s");
        }
        Outcome outcome = call.outcome();
        if (!outcome.completed()) {
            throw cluster.fail(what + " ended " + outcome.status());
        }
        return outcome;
    }

    /** Puts every key to a value of its own, one after another; returns what each key holds. */
    private static Map<String, String> putAll(ShardSimCluster cluster, SimClerk clerk, List<String> keys,
            String padding) {
        Map<String, String> values = new HashMap<>();
        for (String key : keys) {
            String value = "v-" + key + padding;
            run(cluster, clerk.put(key, value), "put " + key);
            values.put(key, value);
        }
        return values;
    }

    private static void appendAll(ShardSimCluster cluster, SimClerk clerk, Map<String, String> values, String piece) {
        for (String key : values.keySet()) {
            run(cluster, clerk.append(key, piece), "append " + key);
            values.put(key, values.get(key) + piece);
        }
    }

    private static void checkAll(ShardSimCluster cluster, SimClerk clerk, Map<String, String> values) {
        for (Map.Entry<String, String> entry : values.entrySet()) {
            Outcome outcome = run(cluster, clerk.get(entry.getKey()), "get " + entry.getKey());
            if (!entry.getValue().equals(outcome.value())) {
                throw cluster.fail("get " + entry.getKey() + ": expected " + entry.getValue() + ", got "
                        + outcome.value());
            }
        }
    }

    // ---- the lab's tests ----

    /** TestStaticShards: with one group down, exactly the other group's shards answer; all do once it is back. */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void staticShards(long seed) throws IOException {
        try (ShardSimCluster cluster = cluster(seed, 0, false)) {
            cluster.join(A, B);
            SimClerk writer = cluster.newClerk();
            List<String> keys = keys(1);
            Map<String, String> values = putAll(cluster, writer, keys, "");
            List<Long> owners = cluster.owners();
            cluster.crashGroup(B);
            List<ClerkCall> gets = new ArrayList<>();
            for (String key : keys) {
                gets.add(cluster.newClerk().get(key));
            }
            cluster.runFor(3 * SECONDS);
            for (int i = 0; i < keys.size(); i++) {
                boolean onLiveGroup = owners.get(shardOf(keys.get(i))) == A;
                assertEquals(onLiveGroup, gets.get(i).done(), "seed " + seed + ": get " + keys.get(i)
                        + " on group " + owners.get(shardOf(keys.get(i))) + " with group " + B + " down");
                if (onLiveGroup) {
                    assertEquals(values.get(keys.get(i)), gets.get(i).outcome().value());
                }
            }
            cluster.restartGroup(B);
            cluster.awaitAll(gets, 30 * SECONDS, "gets after the group restarted");
            for (int i = 0; i < keys.size(); i++) {
                assertEquals(values.get(keys.get(i)), gets.get(i).outcome().value(), "seed " + seed);
            }
        }
    }

    /** TestJoinLeave: the data leaves a group that leaves, and survives that group being killed. */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void joinLeave(long seed) throws IOException {
        try (ShardSimCluster cluster = cluster(seed, 0, false)) {
            cluster.join(A);
            SimClerk clerk = cluster.newClerk();
            Map<String, String> values = putAll(cluster, clerk, keys(1), "");
            cluster.join(B);
            appendAll(cluster, clerk, values, "+1");
            cluster.leave(A);
            appendAll(cluster, clerk, values, "+2");
            cluster.runFor(SECONDS);
            cluster.crashGroup(A);
            checkAll(cluster, clerk, values);
        }
    }

    /**
     * Beyond the lab: every group leaves (the shards go to no group, frozen with their last holder), then another
     * group joins and pulls them from the holder, found in the controller's history.
     */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void everyGroupLeavesThenAnotherJoinsAndGetsTheData(long seed) throws IOException {
        try (ShardSimCluster cluster = cluster(seed, 0, false)) {
            cluster.join(A, B);
            SimClerk clerk = cluster.newClerk();
            Map<String, String> values = putAll(cluster, clerk, keys(1), "");
            cluster.leave(A, B);
            cluster.runFor(SECONDS);
            cluster.join(C);
            checkAll(cluster, clerk, values);
            awaitSettled(cluster, 30 * SECONDS);
            assertEachValueStoredThreeTimes(cluster, values);
        }
    }

    /** TestSnapshot: join/leave churn with small Raft logs, then every group restarted from its snapshots. */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void snapshotsAcrossChurnAndRestarts(long seed) throws IOException {
        long maxRaftState = 1_000;
        try (ShardSimCluster cluster = cluster(seed, maxRaftState, false)) {
            cluster.join(A);
            SimClerk clerk = cluster.newClerk();
            Map<String, String> values = putAll(cluster, clerk, keys(3), "");
            cluster.join(B);
            cluster.join(C);
            appendAll(cluster, clerk, values, "+1");
            cluster.leave(B);
            cluster.join(B);
            cluster.leave(C);
            appendAll(cluster, clerk, values, "+2");
            cluster.runFor(SECONDS);
            for (long gid : GIDS) {
                cluster.crashGroup(gid);
            }
            for (long gid : GIDS) {
                cluster.restartGroup(gid);
            }
            checkAll(cluster, clerk, values);
            assertTrue(cluster.largestRaftState() <= 8 * maxRaftState, "seed " + seed + ": a Raft state of "
                    + cluster.largestRaftState() + " bytes is over 8 x " + maxRaftState);
        }
    }

    /** TestMissChange: a replica of each group down across three configurations catches up, twice over. */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void missChange(long seed) throws IOException {
        try (ShardSimCluster cluster = cluster(seed, 1_000, false)) {
            cluster.join(A);
            SimClerk clerk = cluster.newClerk();
            Map<String, String> values = putAll(cluster, clerk, keys(1), "");
            for (long gid : GIDS) {
                cluster.crash(gid, "g" + gid + "-1");
            }
            cluster.join(B);
            cluster.leave(A);
            cluster.join(C);
            appendAll(cluster, clerk, values, "+1");
            for (long gid : GIDS) {
                cluster.restart(gid, "g" + gid + "-1");
                cluster.crash(gid, "g" + gid + "-2");
            }
            cluster.join(A);
            cluster.leave(B);
            cluster.leave(C);
            appendAll(cluster, clerk, values, "+2");
            for (long gid : GIDS) {
                cluster.restart(gid, "g" + gid + "-2");
            }
            checkAll(cluster, clerk, values);
        }
    }

    /**
     * TestConcurrent1 and TestUnreliable2: clients appending without pause through joins, leaves and (reliable) a
     * restart of every group; every acknowledged append is in its key exactly once, and nothing else is.
     */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void concurrentAppendsThroughChanges(long seed) throws IOException {
        concurrentAppends(seed, false);
    }

    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void concurrentAppendsOnAnUnreliableNetwork(long seed) throws IOException {
        concurrentAppends(seed, true);
    }

    private void concurrentAppends(long seed, boolean unreliable) throws IOException {
        concurrentAppends(seed, unreliable ? 2_000 : 0, unreliable, cluster -> {
            cluster.runFor(SECONDS);
            cluster.join(B);
            cluster.runFor(SECONDS);
            cluster.join(C);
            cluster.runFor(SECONDS);
            cluster.leave(A);
            if (!unreliable) {
                restartAll(cluster);
            }
            cluster.runFor(SECONDS);
            cluster.join(A);
            cluster.leave(B);
            cluster.runFor(2 * SECONDS);
        });
    }

    /** TestConcurrent2: leaves and joins three seconds apart, every group restarted, appends throughout. */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void concurrentAppendsWithGapsAndGroupRestarts(long seed) throws IOException {
        concurrentAppends(seed, 0, false, cluster -> {
            cluster.join(B, C);
            cluster.runFor(3 * SECONDS);
            cluster.leave(A);
            cluster.runFor(3 * SECONDS);
            cluster.join(A);
            cluster.leave(B);
            cluster.runFor(3 * SECONDS);
            for (long gid : GIDS) {
                cluster.crashGroup(gid);
                cluster.runFor(500 * MILLIS);
                cluster.restartGroup(gid);
            }
            cluster.runFor(3 * SECONDS);
        });
    }

    /** TestConcurrent3: small Raft logs; joins, whole-cluster restarts and leaves at random gaps up to 900 ms. */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void concurrentAppendsThroughRandomChurnAndRestarts(long seed) throws IOException {
        concurrentAppends(seed, 300, false, cluster -> {
            for (int round = 0; round < 3; round++) {
                cluster.join(B);
                cluster.runFor(cluster.random().nextLong(900 * MILLIS));
                restartAll(cluster);
                cluster.runFor(cluster.random().nextLong(900 * MILLIS));
                cluster.leave(B);
                cluster.runFor(cluster.random().nextLong(900 * MILLIS));
            }
            cluster.runFor(2 * SECONDS);
        });
    }

    /**
     * TestChallenge1Concurrent: appends while shards move and are deleted: values exact, and afterwards the replicas
     * together store each value three times, no more.
     */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void challenge1ConcurrentAppendsAndDeletes(long seed) throws IOException {
        Map<String, String> finalValues = new HashMap<>();
        concurrentAppends(seed, 1_000, false, cluster -> {
            cluster.join(B, C);
            cluster.runFor(SECONDS);
            cluster.leave(A);
            cluster.runFor(SECONDS);
            cluster.join(A);
            cluster.leave(B, C);
            cluster.runFor(SECONDS);
        }, finalValues, cluster -> {
            awaitSettled(cluster, 30 * SECONDS);
            assertEachValueStoredThreeTimes(cluster, finalValues);
        });
    }

    private static void restartAll(ShardSimCluster cluster) {
        for (long gid : GIDS) {
            cluster.crashGroup(gid);
        }
        for (long gid : GIDS) {
            cluster.restartGroup(gid);
        }
    }

    private interface Script {
        void run(ShardSimCluster cluster);
    }

    private void concurrentAppends(long seed, long maxRaftState, boolean unreliable, Script changes)
            throws IOException {
        concurrentAppends(seed, maxRaftState, unreliable, changes, new HashMap<>(), cluster -> {});
    }

    /**
     * Five clients append unique tokens to two keys each, from group 100 alone, while {@code changes} runs; then
     * every key's final value must hold each acknowledged token exactly once and nothing that was never appended.
     */
    private void concurrentAppends(long seed, long maxRaftState, boolean unreliable, Script changes,
            Map<String, String> finalValues, Script afterwards) throws IOException {
        try (ShardSimCluster cluster = cluster(seed, maxRaftState, unreliable)) {
            cluster.join(A);
            AppendLedger ledger = new AppendLedger();
            List<String> keys = keys(1);
            List<Appender> appenders = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                Appender appender = new Appender(cluster.newClerk(), List.of(keys.get(2 * i), keys.get(2 * i + 1)),
                        ledger, i);
                appenders.add(appender);
                appender.next();
            }
            changes.run(cluster);
            appenders.forEach(Appender::stop);
            if (!cluster.runUntil(() -> appenders.stream().allMatch(Appender::idle), 60 * SECONDS)) {
                throw cluster.fail("the appenders did not stop");
            }
            SimClerk reader = cluster.newClerk();
            for (String key : keys) {
                Outcome outcome = run(cluster, reader.get(key), "final get " + key);
                List<String> problems = ledger.problems(key, outcome.value());
                if (!problems.isEmpty()) {
                    throw cluster.fail(key + ": " + problems);
                }
                finalValues.put(key, outcome.value() == null ? "" : outcome.value());
            }
            int acknowledged = ledger.acknowledgedCount();
            assertTrue(acknowledged >= 50, "seed " + seed + ": only " + acknowledged + " appends acknowledged");
            afterwards.run(cluster);
        }
    }

    /**
     * Beyond the lab: the leader of the receiving group is killed while it pulls a shard of several chunks, and the
     * leader of the sending group while it is pulled from; nothing is lost and nothing doubled.
     */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void leadersKilledMidPullLoseNothing(long seed) throws IOException {
        try (ShardSimCluster cluster = cluster(seed, 0, false)) {
            cluster.join(A);
            SimClerk clerk = cluster.newClerk();
            // Three values of 600 KB in each of two shards: each shard moves in two or more chunks of 1 MiB.
            Map<String, String> values = new HashMap<>();
            for (int shard : new int[] {0, 1}) {
                for (int n = 0; n < 3; n++) {
                    String key = keyOf(shard, n);
                    String value = n + "-" + "y".repeat(600_000);
                    run(cluster, clerk.put(key, value), "put " + key);
                    values.put(key, value);
                }
            }
            cluster.join(B);
            cluster.runUntil(() -> cluster.pulling(B), 10 * SECONDS);
            cluster.crashLeader(B);
            cluster.runFor(300 * MILLIS);
            cluster.crashLeader(A);
            cluster.runFor(2 * SECONDS);
            for (long gid : List.of(A, B)) {
                cluster.restartGroup(gid);
            }
            awaitSettled(cluster, 60 * SECONDS);
            checkAll(cluster, clerk, values);
        }
    }

    /** TestUnreliable1: one client's puts and appends, one after another, across changes on an unreliable network. */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void serialWritesOnAnUnreliableNetwork(long seed) throws IOException {
        try (ShardSimCluster cluster = cluster(seed, 100, true)) {
            cluster.join(A);
            SimClerk clerk = cluster.newClerk();
            Map<String, String> values = putAll(cluster, clerk, keys(1), "");
            cluster.join(B);
            appendAll(cluster, clerk, values, "+1");
            cluster.join(C);
            cluster.leave(A);
            appendAll(cluster, clerk, values, "+2");
            cluster.leave(B);
            cluster.join(A);
            appendAll(cluster, clerk, values, "+3");
            checkAll(cluster, clerk, values);
        }
    }

    /** TestUnreliable3: random gets, puts and appends on shared keys on an unreliable network: linearizable. */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void unreliableHistoryIsLinearizable(long seed) throws IOException {
        try (ShardSimCluster cluster = cluster(seed, 2_000, true)) {
            cluster.join(A);
            List<String> keys = List.of(keyOf(0, 0), keyOf(3, 0), keyOf(6, 0), keyOf(9, 0));
            List<RandomOps> clients = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                RandomOps client = new RandomOps(cluster, cluster.newClerk(), keys, i);
                clients.add(client);
                client.next();
            }
            cluster.runFor(2 * SECONDS);
            cluster.join(B, C);
            cluster.runFor(2 * SECONDS);
            cluster.leave(A);
            cluster.runFor(2 * SECONDS);
            cluster.join(A);
            cluster.leave(C);
            cluster.runFor(2 * SECONDS);
            clients.forEach(RandomOps::stop);
            if (!cluster.runUntil(() -> clients.stream().allMatch(RandomOps::idle), 60 * SECONDS)) {
                throw cluster.fail("the clients did not stop");
            }
            CheckResult verdict = cluster.history().checkLinearizable();
            assertTrue(verdict.isLinearizable(), "seed " + seed + ": " + verdict);
            assertTrue(cluster.history().completed() > 30, "seed " + seed + ": too few operations: "
                    + cluster.history().completed());
        }
    }

    // ---- the challenges ----

    /** TestChallenge1Delete: after shards moved away and back, the replicas together store each value 3 times. */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void challenge1DeletesShardsThatMovedAway(long seed) throws IOException {
        try (ShardSimCluster cluster = cluster(seed, 1, false)) {
            cluster.join(A);
            SimClerk clerk = cluster.newClerk();
            Map<String, String> values = putAll(cluster, clerk, keys(3), "-" + "x".repeat(1_000));
            for (int cycle = 0; cycle < 2; cycle++) {
                cluster.join(B, C);
                cluster.leave(A);
                cluster.join(A);
                cluster.leave(B, C);
            }
            cluster.join(B, C);
            checkAll(cluster, clerk, values);
            awaitSettled(cluster, 30 * SECONDS);
            assertEachValueStoredThreeTimes(cluster, values);
        }
    }

    /** Runs until every replica that is up has settled in the latest configuration. */
    private static void awaitSettled(ShardSimCluster cluster, long micros) {
        long num = cluster.latest().getNum();
        if (!cluster.runUntil(() -> cluster.settledAt(num), micros)) {
            throw cluster.fail("the groups did not settle in configuration " + num);
        }
    }

    /** Challenge 1's bound: the replicas together store each key and value three times (its group's), no more. */
    private static void assertEachValueStoredThreeTimes(ShardSimCluster cluster, Map<String, String> values) {
        long once = values.entrySet().stream().mapToLong(e -> e.getKey().length() + e.getValue().length()).sum();
        if (cluster.storedBytes() > 3 * once) {
            throw cluster.fail("the replicas store " + cluster.storedBytes() + " bytes of keys and values, more"
                    + " than 3 x " + once + ": a shard that moved away left data behind");
        }
    }

    /**
     * TestChallenge2Unaffected: group 100 dies and leaves; within 1 s the shards 101 already had serve gets and
     * puts, though 100's shards can never arrive.
     */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void challenge2UnaffectedShardsServeWhileOthersCannotArrive(long seed) throws IOException {
        try (ShardSimCluster cluster = cluster(seed, 0, false)) {
            cluster.join(A);
            cluster.join(B);
            SimClerk writer = cluster.newClerk();
            List<Long> owners = cluster.owners();
            Map<String, String> values = new HashMap<>();
            for (String key : keys(1)) {
                if (owners.get(shardOf(key)) == B) {
                    run(cluster, writer.put(key, "on-b"), "put " + key);
                    values.put(key, "on-b");
                }
            }
            cluster.crashGroup(A);
            cluster.leave(A);
            List<ClerkCall> calls = new ArrayList<>();
            List<String> order = new ArrayList<>(values.keySet());
            for (String key : order) {
                calls.add(cluster.newClerk().get(key));
                calls.add(cluster.newClerk().put(key, "still-on-b"));
            }
            cluster.awaitAll(calls, SECONDS, "gets and puts on 101's own shards with 100 gone");
            for (int i = 0; i < order.size(); i++) {
                String got = calls.get(2 * i).outcome().value();
                assertTrue("on-b".equals(got) || "still-on-b".equals(got), "seed " + seed + ": " + got);
            }
        }
    }

    /**
     * TestChallenge2Partial: 100 dies; 100 and 102 leave: within 1 s the shards 101 received from 102 serve, though
     * 100's never arrive.
     */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void challenge2ArrivedShardsServeBeforeTheRest(long seed) throws IOException {
        try (ShardSimCluster cluster = cluster(seed, 0, false)) {
            cluster.join(A, B, C);
            SimClerk writer = cluster.newClerk();
            List<Long> owners = cluster.owners();
            Map<String, String> fromC = new HashMap<>();
            for (String key : keys(1)) {
                if (owners.get(shardOf(key)) == C) {
                    run(cluster, writer.put(key, "on-c"), "put " + key);
                    fromC.put(key, "on-c");
                }
            }
            cluster.crashGroup(A);
            cluster.leave(A, C);
            cluster.runFor(500 * MILLIS); // 102's shards move to 101
            List<ClerkCall> calls = new ArrayList<>();
            List<String> order = new ArrayList<>(fromC.keySet());
            for (String key : order) {
                calls.add(cluster.newClerk().get(key));
                calls.add(cluster.newClerk().put(key, "moved"));
            }
            cluster.awaitAll(calls, SECONDS, "gets and puts on the shards 101 received from 102");
            for (int i = 0; i < order.size(); i++) {
                String got = calls.get(2 * i).outcome().value();
                assertTrue("on-c".equals(got) || "moved".equals(got), "seed " + seed + ": " + got);
            }
        }
    }

    // ---- clients ----

    /** Appends unique tokens to its keys, one after another, recording each outcome in the ledger. */
    private static final class Appender {
        private final SimClerk clerk;
        private final List<String> keys;
        private final AppendLedger ledger;
        private final int id;
        private int count;
        private boolean stop;
        private boolean idle;

        Appender(SimClerk clerk, List<String> keys, AppendLedger ledger, int id) {
            this.clerk = clerk;
            this.keys = keys;
            this.ledger = ledger;
            this.id = id;
        }

        void next() {
            if (stop) {
                idle = true;
                return;
            }
            String key = keys.get(count % keys.size());
            String token = "c" + id + "-" + count++;
            clerk.append(key, token + AppendLedger.SEPARATOR).then(outcome -> {
                if (outcome.status() == Outcome.Status.OK) {
                    ledger.acknowledged(key, token);
                } else {
                    ledger.unknown(key, token);
                }
                next();
            });
        }

        void stop() {
            stop = true;
        }

        boolean idle() {
            return idle;
        }
    }

    /** Random gets, puts and appends on shared keys, recorded in the cluster's history by its clerk. */
    private static final class RandomOps {
        private final ShardSimCluster cluster;
        private final SimClerk clerk;
        private final List<String> keys;
        private final int id;
        private int count;
        private boolean stop;
        private boolean idle;

        RandomOps(ShardSimCluster cluster, SimClerk clerk, List<String> keys, int id) {
            this.cluster = cluster;
            this.clerk = clerk;
            this.keys = keys;
            this.id = id;
        }

        void next() {
            if (stop) {
                idle = true;
                return;
            }
            String key = keys.get(cluster.random().nextInt(keys.size()));
            int kind = cluster.random().nextInt(3);
            String value = "x" + id + "." + count++ + ";";
            ClerkCall call = kind == 0 ? clerk.get(key) : kind == 1 ? clerk.put(key, value) : clerk.append(key, value);
            call.then(outcome -> next());
        }

        void stop() {
            stop = true;
        }

        boolean idle() {
            return idle;
        }
    }
}
