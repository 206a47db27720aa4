package io.raftkv.kv.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.common.cli.HostPort;
import io.raftkv.kv.client.FakeKvNode;
import io.raftkv.testkit.Ports;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code kv bench} in this JVM against a fake raftkv cluster on real gRPC: what it sends, prints and exits with. */
class KvBenchTest {
    private final TwoNodeFake fake = new TwoNodeFake();
    private final FakeKvNode.Store store = fake.store;
    private final FakeKvNode leader = fake.leader;
    private final FakeKvNode follower = fake.follower;
    private final String cluster = fake.cluster();

    @AfterEach
    void stop() {
        fake.close();
    }

    private CliRun bench(String... args) {
        List<String> all = new java.util.ArrayList<>(List.of("--cluster", cluster, "bench"));
        all.addAll(List.of(args));
        return CliRun.run(all.toArray(String[]::new));
    }

    @Test
    void aWriteRunSendsTheRequestedNumberOfPuts() {
        CliRun run = bench("--workload", "write", "--clients", "8", "--ops", "300", "--keys", "50",
                "--value-size", "64", "--warmup", "0", "--duration", "5m");
        assertEquals(0, run.exitCode(), run::toString);
        Map<String, String> summary = summary(run);
        assertEquals("\"raftkv\"", summary.get("system"));
        assertEquals("\"write\"", summary.get("workload"));
        assertEquals("300", summary.get("ok"));
        assertEquals("300", summary.get("puts"));
        assertEquals("0", summary.get("errors"));
        assertEquals("\"count\"", summary.get("stoppedBy"));
        assertTrue(summary.get("latencyMs").matches("\\{\"p50\":[0-9.]+,\"p99\":[0-9.]+,\"p999\":[0-9.]+,"
                + "\"max\":[0-9.]+,\"mean\":[0-9.]+}"), summary::toString);
        assertEquals(summary.get("latencyMs"), summary.get("putLatencyMs"));
        assertEquals("null", summary.get("getLatencyMs"), "no get was sent");
        assertEquals(300, store.applied.get());
        assertEquals(300, store.received.size());
        // Each write is its own (client id, sequence): no write was sent twice, and all went through the leader.
        assertEquals(300, store.received.stream().map(r -> r.clientId() + "/" + r.sequence())
                .collect(Collectors.toSet()).size());
        assertTrue(store.received.stream().allMatch(r -> r.key().matches("bench/\\d\\d")), store.received::toString);
        String value = store.get(store.received.peek().key());
        assertEquals(64, value.length());
        assertTrue(run.stdout().contains("write workload on raftkv (" + cluster + ")"), run::toString);
        assertTrue(run.stdout().matches("(?s).*latency +p50 [0-9.]+ ms +p99 [0-9.]+ ms +p999 [0-9.]+ ms.*"),
                run::toString);
        assertTrue(run.stdout().contains("errors      none"), run::toString);
    }

    @Test
    void aReadRunPreloadsEveryKeyThenReadsThem() {
        CliRun run = bench("--workload", "read", "--clients", "4", "--ops", "200", "--keys", "20", "--warmup", "0");
        assertEquals(0, run.exitCode(), run::toString);
        Map<String, String> summary = summary(run);
        assertEquals("200", summary.get("gets"));
        assertEquals("0", summary.get("puts"));
        assertEquals("0", summary.get("errors"));
        assertEquals(20, store.applied.get(), "the preload writes each key once and the run writes nothing");
        for (int i = 0; i < 20; i++) {
            assertEquals(100, store.get(String.format("bench/%02d", i)).length());
        }
        assertTrue(run.stdout().contains("preload     20 keys written"), run::toString);
    }

    @Test
    void aMixedRunSendsBothKindsAndReportsEachOnItsOwn() {
        CliRun run = bench("--workload", "mixed", "--clients", "16", "--ops", "600", "--keys", "30", "--seed", "3",
                "--warmup", "0", "--key-prefix", "mix:");
        assertEquals(0, run.exitCode(), run::toString);
        Map<String, String> summary = summary(run);
        long puts = Long.parseLong(summary.get("puts"));
        long gets = Long.parseLong(summary.get("gets"));
        assertEquals(600, puts + gets);
        assertTrue(puts > 200 && gets > 200, run::toString);
        assertEquals(30 + puts, store.applied.get());
        assertTrue(run.stdout().contains("    puts "), run::toString);
        assertTrue(run.stdout().contains("    gets "), run::toString);
        assertTrue(store.received.stream().allMatch(r -> r.key().startsWith("mix:")));
    }

    @Test
    void theTimeLimitEndsARunWithoutAnOperationLimit() {
        CliRun run = bench("--clients", "4", "--duration", "1s", "--warmup", "200ms");
        assertEquals(0, run.exitCode(), run::toString);
        Map<String, String> summary = summary(run);
        assertEquals("\"time\"", summary.get("stoppedBy"));
        assertTrue(Double.parseDouble(summary.get("seconds")) >= 1.0, run::toString);
        long ok = Long.parseLong(summary.get("ok"));
        assertTrue(store.applied.get() >= ok, "every measured write reached the store, and so did the warmup's");
        assertTrue(run.stdout().matches("(?s).*\n  warmup +[0-9,]+ ops in [0-9.]+ s\n.*"), run::toString);
        assertTrue(run.stdout().contains("(ended by the time limit)"), run::toString);
    }

    @Test
    void rejectedWritesAreCountedByKindAndNoSuccessExitsWithThree() {
        store.maxValueLength = 10;
        CliRun run = bench("--ops", "25", "--clients", "5", "--warmup", "0");
        assertEquals(3, run.exitCode(), run::toString);
        Map<String, String> summary = summary(run);
        assertEquals("0", summary.get("ok"));
        assertEquals("25", summary.get("errors"));
        assertEquals("{\"invalid_argument\":25}", summary.get("errorsByKind"));
        assertTrue(run.stdout().contains("errors      invalid_argument 25"), run::toString);
        assertEquals("error: no operation succeeded", run.stderr().lines().reduce((a, b) -> b).orElseThrow(),
                run::toString);
    }

    @Test
    void anUnreachableClusterFailsFastWithOneLineAndExitCodeThree() {
        String nowhere = new HostPort("127.0.0.1", Ports.freePort()).toString();
        CliRun run = CliRun.run("--cluster", nowhere, "--timeout", "1s", "bench", "--ops", "10");
        assertEquals(3, run.exitCode(), run::toString);
        List<String> errors = run.stderr().lines().filter(line -> line.startsWith("error:")).toList();
        assertEquals(List.of("error: cannot reach raftkv at " + nowhere + ": no leader completed the get within 1s ("
                + nowhere + ": unreachable (connection refused))"), errors, run::toString);
        assertEquals("", run.stdout());
    }

    @Test
    void aPreloadThatCannotFinishAbortsTheRun() {
        store.maxValueLength = 10;
        CliRun run = bench("--workload", "read", "--keys", "5", "--clients", "2", "--ops", "10");
        assertEquals(3, run.exitCode(), run::toString);
        assertTrue(run.stderr().contains("error: the preload wrote 0 of 5 keys within 2m (errors: invalid_argument 5)"),
                run::toString);
    }

    @Test
    void helpDescribesEveryOption() {
        CliRun help = CliRun.run("bench", "--help");
        assertEquals(0, help.exitCode(), help::toString);
        for (String expected : List.of("Usage: kv bench", "--workload", "--clients", "--value-size", "--keys",
                "--duration", "--ops", "--warmup", "--etcd", "JSON", "Exit codes")) {
            assertTrue(help.stdout().contains(expected), () -> "missing '" + expected + "' in\n" + help.stdout());
        }
        CliRun top = CliRun.run("--help");
        assertTrue(top.stdout().contains("bench"), top::toString);
    }

    @Test
    void badFlagsExitWithTwoAndOneLine() {
        Map<String[], String> cases = new java.util.LinkedHashMap<>();
        cases.put(new String[] {"--workload", "scan"}, "--workload");
        cases.put(new String[] {"--clients", "0"}, "--clients must be in 1..10,000, not 0");
        cases.put(new String[] {"--clients", "many"}, "'many' is not an int");
        cases.put(new String[] {"--value-size", "-1"}, "--value-size must be in 0..1,048,576, not -1");
        cases.put(new String[] {"--keys", "0"}, "--keys must be in 1..10,000,000, not 0");
        cases.put(new String[] {"--ops", "0"}, "--ops must be at least 1, not 0");
        cases.put(new String[] {"--duration", "0s"}, "the duration must be more than zero");
        cases.put(new String[] {"--duration", "forever"}, "'forever' is not a duration");
        cases.put(new String[] {"--warmup", "-1s"}, "'-1s' is not a duration");
        cases.put(new String[] {"--key-prefix", ""}, "--key-prefix must not be empty");
        cases.put(new String[] {"--etcd", "https://127.0.0.1:2379"}, "only http:// etcd endpoints");
        cases.put(new String[] {"--etcd", "http://127.0.0.1"}, "needs a host and a port");
        cases.put(new String[] {"--etcd", "http://127.0.0.1:2379", "--cluster", "127.0.0.1:7001"},
                "give --cluster or --controller (raftkv) or --etcd, not both");
        cases.put(new String[] {"--etcd", "http://127.0.0.1:2379", "--controller", "127.0.0.1:7001"},
                "give --cluster or --controller (raftkv) or --etcd, not both");
        cases.put(new String[] {"--frobnicate"}, "--frobnicate");
        for (Map.Entry<String[], String> each : cases.entrySet()) {
            CliRun run = bench(each.getKey());
            String args = String.join(" ", each.getKey());
            assertEquals(2, run.exitCode(), () -> args + ": " + run);
            List<String> lines = run.stderr().lines().toList();
            assertEquals(2, lines.size(), () -> args + ": " + run);
            assertTrue(lines.get(0).startsWith("error: ") && lines.get(0).contains(each.getValue()),
                    () -> args + ": " + run);
            assertEquals("Try 'kv bench --help' for more information.", lines.get(1), () -> args + ": " + run);
            assertEquals("", run.stdout(), () -> args + ": " + run);
        }
        assertEquals(0, store.received.size(), "no bad command line sent anything");

        CliRun noCluster = CliRun.run("bench", "--ops", "1");
        assertEquals(2, noCluster.exitCode(), noCluster::toString);
        assertTrue(noCluster.stderr().startsWith("error: no cluster given"), noCluster::toString);
    }

    private static final Pattern FIELD =
            Pattern.compile("\"(\\w+)\":(\\{[^{}]*\\}|\"[^\"]*\"|-?[0-9][0-9.eE+-]*|null)");

    /** The JSON summary, the last line of stdout, as its top-level fields (values as raw JSON text). */
    static Map<String, String> summary(CliRun run) {
        List<String> lines = run.stdout().lines().toList();
        String last = lines.get(lines.size() - 1);
        assertTrue(last.startsWith("{") && last.endsWith("}"), run::toString);
        String body = last.substring(1, last.length() - 1);
        Map<String, String> fields = new java.util.LinkedHashMap<>();
        Matcher field = FIELD.matcher(body);
        int position = 0;
        while (position < body.length()) {
            int at = position;
            assertTrue(field.find(at) && field.start() == at, () -> "not a JSON field at " + at + ": " + body);
            fields.put(field.group(1), field.group(2));
            position = field.end();
            if (position < body.length()) {
                assertEquals(',', body.charAt(position), body);
                position++;
            }
        }
        return fields;
    }
}
