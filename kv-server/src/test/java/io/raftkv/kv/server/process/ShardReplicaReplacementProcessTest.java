package io.raftkv.kv.server.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.common.cli.HostPort;
import io.raftkv.common.client.ClientOptions;
import io.raftkv.common.shardctrler.ControllerClerk;
import io.raftkv.common.shardctrler.ShardConfig;
import io.raftkv.kv.client.Clerk;
import io.raftkv.kv.client.NodeReport;
import io.raftkv.kv.client.ShardedClerk;
import io.raftkv.kv.client.cli.KvCli;
import io.raftkv.kv.client.cli.ShardCtl;
import io.raftkv.kv.main.KvServerMain;
import io.raftkv.kv.main.ShardCtrlerMain;
import io.raftkv.proto.kv.ShardState;
import io.raftkv.proto.kv.ShardStatus;
import io.raftkv.testkit.AppendLedger;
import io.raftkv.testkit.Eventually;
import io.raftkv.testkit.linearizability.CheckResult;
import io.raftkv.testkit.linearizability.HistoryRecorder;
import io.raftkv.testkit.linearizability.KvModel;
import io.raftkv.testkit.linearizability.LinearizabilityChecker;
import io.raftkv.testkit.linearizability.Operation;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replica of a shard group replaced while its shards are served, with the operator's commands: the dead replica's
 * data is gone, a new node joins the group (kv member add/promote/remove on the group's nodes), the controller is told
 * the group's new servers (shardctl set-servers), and shards then move away from the group and back, so the other
 * group pulls from it at its new addresses. Clients append and read throughout: the history must be linearizable and
 * every acknowledged append present exactly once.
 */
class ShardReplicaReplacementProcessTest {
    private static final List<String> APPEND_KEYS = List.of("a0", "a1", "a2", "a3");
    private static final String MIXED_KEY = "p0";
    private static final ClientOptions ADMIN = ClientOptions.DEFAULT.withTimeout(Duration.ofSeconds(30));
    private static final ClientOptions CLIENT = ClientOptions.DEFAULT.withTimeout(Duration.ofSeconds(8))
            .withAttemptTimeout(Duration.ofSeconds(1));

    @TempDir
    Path dir;

    @Test
    void aReplicaOfAShardGroupIsReplacedWhileItsShardsAreServed() throws Exception {
        HistoryRecorder<KvModel.Input, KvModel.Output> history = new HistoryRecorder<>();
        AppendLedger ledger = new AppendLedger();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong completed = new AtomicLong();
        List<ShardedClerk> clerks = new ArrayList<>();
        List<HistoryClient> clients = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        try (KvProcessCluster controller = new KvProcessCluster(dir.resolve("ctrl"), ShardCtrlerMain.class,
                List.of("--shards", "6"))) {
            controller.startAll();
            controller.awaitLeaderByMetrics("shardctrler", Duration.ofSeconds(60));
            String controllerSpec = controller.clusterSpec();
            try (KvProcessCluster g100 = new KvProcessCluster(dir.resolve("g100"), KvServerMain.class,
                    List.of("--group", "100", "--controller", controllerSpec), 1);
                    KvProcessCluster g200 = new KvProcessCluster(dir.resolve("g200"), KvServerMain.class,
                            List.of("--group", "200", "--controller", controllerSpec));
                    ControllerClerk admin = new ControllerClerk(controller.addresses(), ADMIN)) {
                g100.startAll();
                g200.startAll();
                admin.join(Map.of(100L, g100.initialAddresses(), 200L, g200.addresses()));
                for (int i = 0; i < 2; i++) {
                    ShardedClerk clerk = ShardedClerk.connect(controller.addresses(), CLIENT);
                    clerks.add(clerk);
                    HistoryClient client = new HistoryClient(i, clerk, APPEND_KEYS, MIXED_KEY, history, ledger, stop,
                            completed, 2_000, Duration.ofMillis(15), 16);
                    clients.add(client);
                    Thread thread = new Thread(client, "sharded-client-" + i);
                    thread.start();
                    threads.add(thread);
                }
                HistoryClient.awaitProgress(completed, 40, "before the replacement");

                String leader = g100.awaitLeaderByMetrics("g100", Duration.ofSeconds(60));
                String dead = g100.runningIds().stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
                log("kill -9 g100's " + dead + " and delete its data; n4 replaces it");
                g100.kill(dead);
                g100.wipe(dead);
                HostPort n4 = g100.startJoiner("n4");
                CliProcess kv = new CliProcess(KvCli.class, "kv", "KV_CLUSTER", dir);
                CliProcess.Run added = kv.run(g100.clusterSpec(), "member", "add", "n4=" + n4, "--learner");
                assertEquals(0, added.exitCode(), added::output);
                Eventually.await("n4 promoted", Duration.ofSeconds(60),
                        () -> kv.run(g100.clusterSpec(), "member", "promote", "n4").exitCode() == 0);
                CliProcess.Run removed = kv.run(g100.clusterSpec(), "member", "remove", dead);
                assertEquals(0, removed.exitCode(), removed::output);
                String servers = g100.runningAddresses().stream().map(HostPort::toString)
                        .collect(Collectors.joining(","));
                CliProcess.Run set = new CliProcess(ShardCtl.class, "shardctl", "KV_CONTROLLER", dir)
                        .run(controllerSpec, "set-servers", "100=" + servers);
                assertEquals(0, set.exitCode(), set::output);
                ShardConfig latest = admin.query(ControllerClerk.LATEST);
                assertEquals(g100.runningAddresses(), latest.groups().get(100L), latest::toString);
                HistoryClient.awaitProgress(completed, 40, "after the replacement");

                int shard = 0;
                while (latest.groupOf(shard) != 100) {
                    shard++;
                }
                log("shard " + shard + " moves to group 200, which pulls it from group 100's new servers, and back");
                admin.move(shard, 200);
                awaitSettled(admin, g100, g200);
                admin.move(shard, 100);
                awaitSettled(admin, g100, g200);
                HistoryClient.awaitProgress(completed, 40, "after the moves");

                HistoryClient.stopAll(stop, threads, clients);
                Map<String, String> finalValues = new HashMap<>();
                List<String> problems;
                try (ShardedClerk reader = ShardedClerk.connect(controller.addresses(), ADMIN)) {
                    List<String> keys = new ArrayList<>(APPEND_KEYS);
                    keys.add(MIXED_KEY);
                    problems = HistoryClient.readFinalValues(reader, keys, MIXED_KEY, clients.size(), history, ledger,
                            finalValues);
                }
                List<Operation<KvModel.Input, KvModel.Output>> ops =
                        HistoryClient.withoutUnappliedAppends(history.history(), finalValues, APPEND_KEYS);
                CheckResult verdict = LinearizabilityChecker.check(KvModel.INSTANCE, ops, Duration.ofSeconds(90));
                log(ops.size() + " operations, " + ledger.acknowledgedCount() + " acknowledged appends, " + verdict);
                assertEquals(List.of(), problems);
                assertTrue(verdict.isLinearizable(), verdict::toString);
                assertTrue(ledger.acknowledgedCount() > 50, "too little traffic: " + ledger.acknowledgedCount());
            } finally {
                stop.set(true);
                for (Thread thread : threads) {
                    thread.join(Duration.ofSeconds(30));
                }
                clerks.forEach(ShardedClerk::close);
            }
        }
    }

    /**
     * Waits until every running replica of both groups has applied the latest configuration, each shard served by
     * the group it names and held by no other.
     */
    private static void awaitSettled(ControllerClerk admin, KvProcessCluster g100, KvProcessCluster g200) {
        ShardConfig latest = admin.query(ControllerClerk.LATEST);
        Map<Long, KvProcessCluster> groups = Map.of(100L, g100, 200L, g200);
        Eventually.await("every replica settles in configuration " + latest.num(), Duration.ofSeconds(90), () -> {
            for (Map.Entry<Long, KvProcessCluster> group : groups.entrySet()) {
                try (Clerk clerk = Clerk.connect(group.getValue().runningAddresses(),
                        ADMIN.withAttemptTimeout(Duration.ofSeconds(3)))) {
                    for (NodeReport report : clerk.status()) {
                        if (!report.reachable() || report.status().getConfigNum() != latest.num()) {
                            return false;
                        }
                        for (ShardStatus shard : report.status().getShardsList()) {
                            boolean owner = latest.groupOf(shard.getShard()) == group.getKey();
                            if (shard.getState() != (owner ? ShardState.SERVING : ShardState.NOT_OWNED)) {
                                return false;
                            }
                        }
                    }
                }
            }
            return true;
        });
    }

    private static void log(String message) {
        System.out.println("[ShardReplicaReplacementProcessTest] " + message);
        System.out.flush();
    }
}
