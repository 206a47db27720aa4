package io.raftkv.kv.server.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.common.cli.HostPort;
import io.raftkv.common.cli.Mains;
import io.raftkv.common.client.ClientOptions;
import io.raftkv.common.client.RequestRejectedException;
import io.raftkv.common.shardctrler.ControllerClerk;
import io.raftkv.common.shardctrler.ShardConfig;
import io.raftkv.kv.client.cli.KvCli;
import io.raftkv.kv.client.cli.ShardCtl;
import io.raftkv.kv.main.ShardCtrlerMain;
import io.raftkv.kv.server.process.CliProcess.Run;
import io.raftkv.testkit.Eventually;
import io.raftkv.testkit.Ports;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shard controller as three real processes: changes and queries through the ControllerClerk across SIGKILLs of
 * the leader (a new leader answers the same latest configuration, old ones read back unchanged, a restarted node
 * catches up), its metrics, a restart with another --shards refused, and shardctl with each exit code (as its own
 * process for a join, a query and an unreachable controller; in this JVM for the rest), join --skip-joined included.
 */
class ShardCtrlerProcessTest {
    private static final ClientOptions OPTIONS = ClientOptions.DEFAULT.withTimeout(Duration.ofSeconds(30));

    @TempDir
    Path dir;

    private Run shardctl(String controller, String... args) {
        return new CliProcess(ShardCtl.class, "shardctl", "KV_CONTROLLER", dir).run(controller, args);
    }

    /** shardctl in this JVM (the cases past the first few, where a JVM start per command buys nothing). */
    private static Run inProcess(String controller, String... args) {
        List<String> all = new ArrayList<>(List.of("--controller", controller));
        all.addAll(List.of(args));
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        synchronized (ShardCtrlerProcessTest.class) {
            try (PrintStream both = new PrintStream(captured, true, StandardCharsets.UTF_8)) {
                System.setOut(both);
                System.setErr(both);
                int code = Mains.execute(new ShardCtl(), all.toArray(String[]::new));
                both.flush();
                return new Run(code, captured.toString(StandardCharsets.UTF_8));
            } finally {
                System.setOut(out);
                System.setErr(err);
            }
        }
    }

    private static Map<Long, List<HostPort>> group(long gid, int port) {
        return Map.of(gid, List.of(new HostPort("127.0.0.1", port), new HostPort("127.0.0.1", port + 1)));
    }

    @Test
    void configurationsSurviveLeaderKillsAndEveryNodeAnswersTheSame() {
        try (KvProcessCluster cluster = new KvProcessCluster(dir.resolve("ctrl"), ShardCtrlerMain.class,
                List.of("--shards", "10"));
                ControllerClerk clerk = new ControllerClerk(cluster.addresses(), OPTIONS)) {
            cluster.startAll();
            String leader = cluster.awaitLeaderByMetrics("shardctrler", Duration.ofSeconds(60));
            List<ShardConfig> history = new ArrayList<>();
            history.add(clerk.query(ControllerClerk.LATEST));
            assertEquals(0, history.get(0).num());
            for (long gid = 1; gid <= 3; gid++) {
                assertEquals(gid, clerk.join(group(gid, 7000 + (int) gid * 10)));
                history.add(clerk.query(ControllerClerk.LATEST));
            }
            ShardConfig three = history.get(3);
            assertEquals(3, three.groups().size());

            cluster.kill(leader);
            assertEquals(three, clerk.query(ControllerClerk.LATEST), "the new leader answers the same latest");
            String second = cluster.awaitLeaderByMetrics("shardctrler", Duration.ofSeconds(60));
            assertNotEquals(leader, second);
            assertEquals(4, clerk.leave(List.of(2L)));
            history.add(clerk.query(ControllerClerk.LATEST));
            assertEquals(5, clerk.move(0, 3));
            history.add(clerk.query(ControllerClerk.LATEST));
            RequestRejectedException refused = assertThrows(RequestRejectedException.class,
                    () -> clerk.join(group(1, 7999)));
            assertTrue(refused.getMessage().contains("already joined"), refused.getMessage());
            assertEquals(5, clerk.query(ControllerClerk.LATEST).num(), "a refused join makes no configuration");

            cluster.start(leader);
            cluster.awaitUp(leader);
            cluster.kill(second);
            for (ShardConfig config : history) {
                assertEquals(config, clerk.query(config.num()), "configuration " + config.num() + " after kills");
            }
            cluster.start(second);
            cluster.awaitUp(second);
            String metricsLeader = cluster.awaitLeaderByMetrics("shardctrler", Duration.ofSeconds(60));
            Eventually.await("every node reports configuration 5", Duration.ofSeconds(30),
                    () -> cluster.runningIds().stream().allMatch(id -> {
                        String text = cluster.metrics(id);
                        return text != null && PrometheusText.sum(text, "shardctrler_config_num") == 5
                                && PrometheusText.sum(text, "shardctrler_groups") == 2;
                    }));
            String text = cluster.metrics(metricsLeader);
            long onGroup3 = history.get(5).shards().stream().filter(gid -> gid == 3).count();
            assertEquals(onGroup3, (long) PrometheusText.sum(text, "shardctrler_group_shards", "group=\"3\""), text);
            assertEquals(10, (long) PrometheusText.sum(text, "shardctrler_group_shards"), text);
            assertTrue(PrometheusText.hasFamily(text, "raft_commit_index"), "Raft metrics as every process has");
        }
    }

    @Test
    void shardctlCommandsAndExitCodes() {
        try (KvProcessCluster cluster = new KvProcessCluster(dir.resolve("ctrl"), ShardCtrlerMain.class,
                List.of("--shards", "4"))) {
            cluster.startAll();
            cluster.awaitLeaderByMetrics("shardctrler", Duration.ofSeconds(60));
            String controller = cluster.clusterSpec();

            // --if-unconfigured on a new controller: an ordinary join.
            assertEquals(new Run(0, "joined: configuration 1\n"), shardctl(controller, "join", "--if-unconfigured",
                    "100=127.0.0.1:7201,127.0.0.1:7202", "200=127.0.0.1:7301"));
            assertEquals(new Run(0, "{\"num\":1,\"shards\":[100,100,200,200],\"groups\":{\"100\":"
                    + "[\"127.0.0.1:7201\",\"127.0.0.1:7202\"],\"200\":[\"127.0.0.1:7301\"]}}\n"),
                    shardctl(controller, "query", "--json"));
            assertEquals(new Run(0, "moved: configuration 2\n"), shardctl(controller, "move", "0", "200"));
            Run table = inProcess(controller, "query", "2");
            assertEquals(0, table.exitCode(), table::output);
            assertTrue(table.output().startsWith("configuration 2: 4 shards, 2 groups\n"), table::output);
            assertTrue(table.output().contains("\n0      200\n"), table::output);
            assertTrue(table.output().contains("\n100    1      127.0.0.1:7201,127.0.0.1:7202\n"), table::output);

            for (String[] invalid : List.of(
                    new String[] {"join", "100=127.0.0.1:7999"},
                    new String[] {"leave", "300"},
                    new String[] {"move", "4", "100"},
                    new String[] {"move", "1", "300"},
                    new String[] {"join", "0=127.0.0.1:7999"},
                    new String[] {"leave", "0"},
                    new String[] {"join", "300="},
                    new String[] {"join", "300=nohost"},
                    new String[] {"join", "300=127.0.0.1:99999"})) {
                Run run = inProcess(controller, invalid);
                assertEquals(4, run.exitCode(), () -> String.join(" ", invalid) + ": " + run.output());
                assertTrue(run.output().startsWith("error: rejected: "), run::output);
            }
            Run latest = inProcess(controller, "query", "--json");
            assertTrue(latest.output().startsWith("{\"num\":2,"), "refusals changed nothing: " + latest.output());

            for (String[] usage : List.of(new String[] {"join", "127.0.0.1:1"}, new String[] {"join", "x=127.0.0.1:1"},
                    new String[] {"leave", "x"}, new String[] {"frobnicate"})) {
                Run run = inProcess(controller, usage);
                assertEquals(2, run.exitCode(), () -> String.join(" ", usage) + ": " + run.output());
            }
            Run watch = inProcess(controller, "watch", "--json", "--count", "1");
            assertEquals(latest, watch);

            // --skip-joined: groups already present are left alone (other servers only warn), the rest join.
            assertEquals(new Run(0, "already joined: groups 100, 200 in configuration 2\n"), inProcess(controller,
                    "join", "--skip-joined", "100=127.0.0.1:7201,127.0.0.1:7202", "200=127.0.0.1:7301"));
            assertEquals(new Run(0, "warning: group 100 is already joined with servers 127.0.0.1:7201,127.0.0.1:7202,"
                    + " not 127.0.0.1:7999; left as it is\nalready joined: group 100 in configuration 2\n"),
                    inProcess(controller, "join", "--skip-joined", "100=127.0.0.1:7999"));
            assertEquals(new Run(0, "joined: configuration 3 (already joined: group 200)\n"),
                    inProcess(controller, "join", "--skip-joined", "300=127.0.0.1:7401", "200=127.0.0.1:7301"));
            String joined = inProcess(controller, "query", "--json").output();
            assertTrue(joined.startsWith("{\"num\":3,") && joined.contains("\"300\":[\"127.0.0.1:7401\"]")
                    && joined.contains("\"100\":[\"127.0.0.1:7201\",\"127.0.0.1:7202\"]"), joined);
            assertEquals(new Run(0, "already joined: group 300 in configuration 3\n"),
                    inProcess(controller, "join", "--skip-joined", "300=127.0.0.1:7401"));
            Run refused = inProcess(controller, "join", "300=127.0.0.1:7401");
            assertEquals(4, refused.exitCode(), () -> "without --skip-joined, refused: " + refused.output());

            // set-servers: a joined group's servers replaced, every shard where it was; an unknown group refused.
            assertEquals(new Run(0, "servers set: configuration 4\n"), inProcess(controller, "set-servers",
                    "100=127.0.0.1:7201,127.0.0.1:7204"));
            String set = inProcess(controller, "query", "--json").output();
            assertTrue(set.startsWith("{\"num\":4,") && set.contains("\"100\":[\"127.0.0.1:7201\",\"127.0.0.1:7204\"]")
                    && set.contains("\"shards\":" + joined.substring(joined.indexOf("[") , joined.indexOf("]") + 1)),
                    set + " after " + joined);
            Run unknownGroup = inProcess(controller, "set-servers", "400=127.0.0.1:7501");
            assertEquals(new Run(4, "error: rejected: group 400 is not in configuration 4 (a new group joins with"
                    + " 'join')\n"), unknownGroup);
            assertEquals(2, inProcess(controller, "set-servers", "100").exitCode());

            // A backup of the controller's group says how many shards the store has.
            CliProcess kv = new CliProcess(KvCli.class, "kv", "KV_CLUSTER", dir);
            Path backup = dir.resolve("controller.db");
            Run saved = kv.run(controller, "snapshot", "save", backup.toString());
            assertEquals(0, saved.exitCode(), saved::output);
            Run described = kv.run("", "snapshot", "status", backup.toString(), "--json");
            assertTrue(described.output().contains("\"group\":\"shardctrler\"")
                    && described.output().contains("\"details\":{\"configuration\":\"4\",\"shards\":\"4\"}"),
                    described::output);

            // --if-unconfigured on a configured controller: nothing changes, not even for a group it lacks.
            assertEquals(new Run(0, "already configured: configuration 4 has groups 100, 200, 300; nothing joined\n"),
                    inProcess(controller, "join", "--if-unconfigured", "400=127.0.0.1:7501"));
            assertTrue(inProcess(controller, "query", "--json").output().startsWith("{\"num\":4,"));
            Run bothFlags = inProcess(controller, "join", "--if-unconfigured", "--skip-joined", "400=127.0.0.1:7501");
            assertEquals(2, bothFlags.exitCode(), bothFlags::output);

            String nobody = "127.0.0.1:" + Ports.freePort();
            Run unavailable = shardctl(nobody, "--timeout", "2s", "query");
            assertEquals(3, unavailable.exitCode(), unavailable::output);
            assertTrue(unavailable.output().startsWith("error: "), unavailable::output);
            Run skipUnavailable = inProcess(nobody, "--timeout", "2s", "join", "--skip-joined", "100=127.0.0.1:7201");
            assertEquals(3, skipUnavailable.exitCode(), skipUnavailable::output);
        }
    }

    @Test
    void anotherShardCountOnRestartIsRefused() {
        Path root = dir.resolve("ctrl");
        try (KvProcessCluster cluster = new KvProcessCluster(root, ShardCtrlerMain.class, List.of("--shards", "10"))) {
            cluster.startAll();
        }
        try (KvProcessCluster cluster = new KvProcessCluster(root, ShardCtrlerMain.class, List.of("--shards", "12"))) {
            cluster.start("n1");
            Eventually.await("n1 exits", Duration.ofSeconds(60), () -> !cluster.isRunning("n1"));
            String log = cluster.tail("n1", 20);
            assertTrue(log.contains("--shards 10") && log.contains("--shards 12"), log);
        }
    }
}
