package io.raftkv.kv.client.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.common.cli.HostPort;
import io.raftkv.kv.client.FakeKvNode;
import io.raftkv.testkit.Ports;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The kv CLI, run in this JVM against fake nodes: each command and each exit code. */
class KvCliTest {
    private final TwoNodeFake fake = new TwoNodeFake();
    private final FakeKvNode.Store store = fake.store;
    private final FakeKvNode leader = fake.leader;
    private final FakeKvNode follower = fake.follower;
    private final String cluster = fake.cluster();

    @AfterEach
    void stop() {
        fake.close();
    }

    private CliRun kv(String... args) {
        return CliRun.run(args);
    }

    private static void assertOneLineError(CliRun run, int code, String fragment) {
        assertEquals(code, run.exitCode(), run::toString);
        List<String> lines = run.stderr().lines().toList();
        assertEquals(1, lines.size(), run::toString);
        assertTrue(lines.get(0).startsWith("error: "), run::toString);
        assertTrue(lines.get(0).contains(fragment), run::toString);
    }

    @Test
    void putGetAppendDelete() {
        CliRun put = kv("--cluster", cluster, "put", "greeting", "hello");
        assertEquals(0, put.exitCode(), put::toString);
        assertEquals("OK\n", put.stdout());
        assertEquals("", put.stderr());

        CliRun append = kv("--cluster", cluster, "append", "greeting", ", world");
        assertEquals(0, append.exitCode(), append::toString);

        CliRun get = kv("--cluster", cluster, "get", "greeting");
        assertEquals(0, get.exitCode(), get::toString);
        assertEquals("hello, world\n", get.stdout());
        assertEquals("", get.stderr());

        CliRun exact = kv("--cluster", cluster, "get", "-n", "greeting");
        assertEquals("hello, world", exact.stdout());

        CliRun delete = kv("--cluster", cluster, "delete", "greeting");
        assertEquals(0, delete.exitCode(), delete::toString);
        assertEquals(null, store.get("greeting"));
    }

    @Test
    void optionsMayFollowTheCommand() {
        CliRun put = kv("put", "k", "v", "--cluster", cluster, "--timeout", "5s");
        assertEquals(0, put.exitCode(), put::toString);
        assertEquals("v", store.get("k"));
    }

    @Test
    void theClusterMayComeFromTheEnvironment() {
        CliRun put = CliRun.run(Map.of("KV_CLUSTER", cluster), new byte[0], "put", "k", "from-env");
        assertEquals(0, put.exitCode(), put::toString);
        assertEquals("from-env", store.get("k"));

        CliRun bad = CliRun.run(Map.of("KV_CLUSTER", "nonsense"), new byte[0], "get", "k");
        assertEquals(2, bad.exitCode(), bad::toString);
        assertTrue(bad.stderr().startsWith("error: KV_CLUSTER: 'nonsense' is not host:port"), bad::toString);
    }

    @Test
    void valuesFromStandardInputAreTakenByteForByte() {
        byte[] value = "line one\nline two\n\u00e9\n".getBytes(StandardCharsets.UTF_8);
        CliRun put = CliRun.run(Map.of(), value, "--cluster", cluster, "put", "k", "-");
        assertEquals(0, put.exitCode(), put::toString);
        assertEquals("line one\nline two\n\u00e9\n", store.get("k"));
        CliRun get = kv("--cluster", cluster, "get", "--no-newline", "k");
        assertArrayEquals(value, get.stdoutBytes());

        CliRun append = CliRun.run(Map.of(), "more".getBytes(StandardCharsets.UTF_8), "--cluster", cluster,
                "append", "k", "-");
        assertEquals(0, append.exitCode(), append::toString);
        assertTrue(store.get("k").endsWith("\nmore"));
    }

    @Test
    void aMissingKeyExitsWithOne() {
        assertOneLineError(kv("--cluster", cluster, "get", "nothing"), 1, "key 'nothing' not found");
        assertOneLineError(kv("--cluster", cluster, "delete", "nothing"), 1, "key 'nothing' not found");
    }

    @Test
    void snapshotCommandsCheckTheirArgumentsAndTheFile() {
        CliRun none = kv("--cluster", cluster, "snapshot");
        assertEquals(2, none.exitCode(), none::toString);
        assertTrue(none.stderr().startsWith("error: missing command: save or status"), none::toString);
        assertOneLineError(kv("snapshot", "status", "no-such-backup.db"), 1,
                "backup no-such-backup.db does not exist");
        CliRun sharded = kv("--controller", cluster, "snapshot", "save", "x.db");
        assertEquals(2, sharded.exitCode(), sharded::toString);
        assertTrue(sharded.stderr().startsWith("error: a backup is of one group"), sharded::toString);
    }

    @Test
    void memberCommandsCheckTheirArgumentsBeforeCallingTheCluster() {
        CliRun noEquals = kv("--cluster", cluster, "member", "add", "n4", "--learner");
        assertEquals(2, noEquals.exitCode(), noEquals::toString);
        assertTrue(noEquals.stderr().startsWith("error: 'n4' is not ID=HOST:PORT"), noEquals::toString);
        CliRun voter = kv("--cluster", cluster, "member", "add", "n4=127.0.0.1:7004");
        assertEquals(2, voter.exitCode(), voter::toString);
        assertTrue(voter.stderr().startsWith("error: a node is added as a learner (--learner)"), voter::toString);
        CliRun sharded = kv("--controller", cluster, "member", "list");
        assertEquals(2, sharded.exitCode(), sharded::toString);
        assertTrue(sharded.stderr().startsWith("error: member commands act on one group"), sharded::toString);
        CliRun bare = kv("--cluster", cluster, "member");
        assertEquals(2, bare.exitCode(), bare::toString);
        assertTrue(bare.stderr().startsWith("error: missing command: list, add, promote or remove"), bare::toString);
    }

    @Test
    void usageErrorsExitWithTwo() {
        CliRun none = kv();
        assertEquals(2, none.exitCode(), none::toString);
        assertTrue(none.stderr().startsWith("error: missing command"), none::toString);

        CliRun unknown = kv("--cluster", cluster, "frobnicate", "k");
        assertEquals(2, unknown.exitCode(), unknown::toString);
        assertTrue(unknown.stderr().startsWith("error: unknown command 'frobnicate'; the commands are: put, get,"),
                unknown::toString);

        CliRun missingValue = kv("--cluster", cluster, "put", "k");
        assertEquals(2, missingValue.exitCode(), missingValue::toString);
        assertTrue(missingValue.stderr().contains("VALUE"), missingValue::toString);

        CliRun noCluster = kv("get", "k");
        assertEquals(2, noCluster.exitCode(), noCluster::toString);
        assertTrue(noCluster.stderr().startsWith("error: no cluster given"), noCluster::toString);

        assertTrue(noCluster.stderr().contains("--controller"), "the sharded store's flag is named: " + noCluster);

        CliRun both = kv("--cluster", cluster, "--controller", cluster, "get", "k");
        assertEquals(2, both.exitCode(), both::toString);
        assertTrue(both.stderr().startsWith("error: give --cluster (an unsharded store) or --controller"),
                both::toString);

        CliRun mapWithoutController = kv("--cluster", cluster, "--address-map", "*=localhost", "get", "k");
        assertEquals(2, mapWithoutController.exitCode(), mapWithoutController::toString);
        assertTrue(mapWithoutController.stderr().contains("--address-map applies to a sharded store"),
                mapWithoutController::toString);

        CliRun badMap = kv("--controller", cluster, "--address-map", "g100-1", "get", "k");
        assertEquals(2, badMap.exitCode(), badMap::toString);
        assertTrue(badMap.stderr().contains("--address-map: 'g100-1' is not FROM=TO"), badMap::toString);

        CliRun badMapFromEnvironment = CliRun.run(Map.of("KV_CONTROLLER", cluster, "KV_ADDRESS_MAP", "*=a:1"),
                new byte[0], "get", "k");
        assertEquals(2, badMapFromEnvironment.exitCode(), badMapFromEnvironment::toString);
        assertTrue(badMapFromEnvironment.stderr().contains("KV_ADDRESS_MAP: '*=a:1': every host (*)"),
                badMapFromEnvironment::toString);

        CliRun badAddress = kv("--cluster", "localhost", "get", "k");
        assertEquals(2, badAddress.exitCode(), badAddress::toString);
        assertTrue(badAddress.stderr().contains("'localhost' is not host:port"), badAddress::toString);

        CliRun badTimeout = kv("--cluster", cluster, "--timeout", "soon", "get", "k");
        assertEquals(2, badTimeout.exitCode(), badTimeout::toString);
        assertTrue(badTimeout.stderr().contains("'soon' is not a duration"), badTimeout::toString);
        assertEquals(null, store.get("k"));
    }

    @Test
    void anUnreachableClusterExitsWithThree() {
        String nowhere = new HostPort("127.0.0.1", Ports.freePort()) + ","
                + new HostPort("127.0.0.1", Ports.freePort());
        // Every node refuses the connection: without --timeout the CLI gives up at once, not after its 10 s.
        long started = System.nanoTime();
        CliRun run = kv("--cluster", nowhere, "put", "k", "v");
        long millis = (System.nanoTime() - started) / 1_000_000L;
        assertOneLineError(run, 3, "every node refused the connection, twice in a row");
        assertTrue(run.stderr().contains(nowhere.split(",")[1] + ": unreachable (connection refused)"),
                run::toString);
        assertTrue(millis < 8_000, "gave up only after " + millis + " ms: " + run);

        // An explicit --timeout is a wish to wait: refusals are retried until it passes.
        CliRun waits = kv("--cluster", nowhere, "--timeout", "1s", "put", "k", "v");
        assertOneLineError(waits, 3, "no leader completed the put within 1s");

        leader.mode = FakeKvNode.Mode.SILENT;
        CliRun silent = kv("--cluster", cluster, "--timeout", "800ms", "get", "k");
        assertOneLineError(silent, 3, "no leader completed the get within 800ms");
    }

    @Test
    void aRejectedRequestExitsWithFour() {
        store.maxValueLength = 10;
        CliRun run = kv("--cluster", cluster, "put", "k", "this value is too long");
        assertOneLineError(run, 4, "rejected: the value is 22 bytes; the limit is 10");
        assertEquals(null, store.get("k"));
    }

    @Test
    void statusShowsEveryNodeReachableOrNot() {
        HostPort down = new HostPort("127.0.0.1", Ports.freePort());
        CliRun run = kv("--cluster", cluster + "," + down, "status");
        assertEquals(0, run.exitCode(), run::toString);
        List<String> lines = run.stdout().lines().toList();
        assertEquals(4, lines.size(), run::toString);
        assertTrue(lines.get(0).matches("ID +ADDRESS +ROLE +TERM +LEADER +COMMIT +APPLIED +LAST CONTACT"),
                run::toString);
        assertTrue(lines.get(1).matches("n2 +" + follower.address() + " \\(kv2:7001\\) +FOLLOWER +3 +n1 +17 +16 +12 ms ago"),
                run::toString);
        assertTrue(lines.get(2).matches("n1 +" + leader.address() + " \\(kv1:7001\\) +LEADER +3 +n1 +17 +16 +-"),
                run::toString);
        assertTrue(lines.get(3).matches("\\? +" + down + " +UNREACHABLE +- +- +- +- +unreachable.*"), run::toString);

        CliRun allDown = kv("--cluster", down.toString(), "status");
        assertOneLineError(allDown, 3, "no node of the cluster answered");
        assertTrue(allDown.stdout().contains("UNREACHABLE"), allDown::toString);
    }

    @Test
    void helpForTheToolAndEachCommand() {
        CliRun help = kv("--help");
        assertEquals(0, help.exitCode(), help::toString);
        for (String expected : List.of("Usage: kv", "put", "get", "append", "delete", "status", "--cluster",
                "KV_CLUSTER", "Exit codes: 0 ok, 1 key not found")) {
            assertTrue(help.stdout().contains(expected), () -> "missing '" + expected + "' in\n" + help.stdout());
        }
        CliRun putHelp = kv("put", "--help");
        assertEquals(0, putHelp.exitCode(), putHelp::toString);
        assertTrue(putHelp.stdout().contains("Usage: kv put") && putHelp.stdout().contains("KEY VALUE"),
                putHelp::toString);
        CliRun helpGet = kv("help", "get");
        assertEquals(0, helpGet.exitCode(), helpGet::toString);
        assertTrue(helpGet.stdout().contains("--no-newline"), helpGet::toString);
        assertFalse(helpGet.stdout().isEmpty());
    }

    @Test
    void writesThroughTheCliAreNotDuplicatedByRetries() {
        store.loseReplies.set(1);
        CliRun run = kv("--cluster", cluster, "append", "k", "x");
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals("x", store.get("k"));
        assertEquals(1, store.received.stream().map(r -> r.clientId() + "/" + r.sequence())
                .collect(Collectors.toSet()).size());
    }

    @Test
    void theDashboardRefusesATooShortIntervalAndAPortInUseInOneLine() throws Exception {
        CliRun tooShort = kv("--cluster", cluster, "dashboard", "--interval", "10ms");
        assertEquals(2, tooShort.exitCode(), tooShort::toString);
        assertTrue(tooShort.stderr().startsWith("error: --interval must be at least 100ms, not 10ms\n"),
                tooShort::toString);
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1,
                java.net.InetAddress.getByName("127.0.0.1"))) {
            assertOneLineError(kv("--cluster", cluster, "dashboard", "--listen", "127.0.0.1:" + taken.getLocalPort()),
                    2, "--listen port " + taken.getLocalPort() + " is already in use");
        }
    }
}
