package io.raftkv.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.common.cli.HostPort;
import io.raftkv.kv.client.Clerk;
import io.raftkv.common.client.ClientOptions;
import io.raftkv.kv.client.GetResult;
import io.raftkv.testkit.Eventually;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/docker-compose.yml as a user runs it: README.md's quick-start block (bin/compose up, a put and a get, and
 * last bin/compose down -v) under a unique project name, the KV nodes become healthy, the client works through the published ports, /metrics serves
 * the promised series and they move with traffic, Prometheus scrapes them, the word count finishes, and the cluster
 * survives `kill kv1`. `down -v` runs whatever happens.
 */
@RequiresDocker
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ComposeSmokeTest {
    private static final List<String> KV_SERVICES = List.of("kv1", "kv2", "kv3");
    /** Series every kv-server serves from the start (names as the Prometheus registry writes them). */
    private static final List<String> NODE_METRICS = List.of("raft_term", "raft_role", "raft_commit_index",
            "raft_fsync_seconds_count", "rocksdb_wal_syncs_total", "jvm_memory_used_bytes");
    /** Series a node serves once it has answered client requests (a timer appears with its first tag set). */
    private static final List<String> REQUEST_METRICS = List.of("kv_requests_seconds_count", "kv_requests_seconds_sum",
            "grpc_server_calls_seconds_count");

    private ComposeProject compose;
    private final Map<String, Integer> clientPorts = new LinkedHashMap<>();
    private final Map<String, Integer> metricsPorts = new LinkedHashMap<>();
    private final Map<String, String> environment = new LinkedHashMap<>();
    private Clerk clerk;

    /**
     * Brings the cluster up as README.md's container quick start says, with its lines run literally (all but the
     * last, {@code bin/compose down -v}, which {@link #down()} runs): {@code bin/compose up} builds raftkv:latest
     * when it is missing or older than the jars, on the base image CI names in RAFTKV_BASE_IMAGE, and returns once
     * a put succeeds; the block's own put and get follow. The ports are the README's; the project name is unique.
     */
    @BeforeAll
    void up() {
        List<String> block = ReadmeQuickStart.blockWith("bin/compose up");
        String last = block.get(block.size() - 1);
        assertTrue(last.startsWith("bin/compose down"), "the README block should end with bin/compose down: " + last);
        for (int i = 0; i < KV_SERVICES.size(); i++) {
            clientPorts.put(KV_SERVICES.get(i), 7001 + i);
            metricsPorts.put(KV_SERVICES.get(i), 9101 + i);
        }
        RaftkvImage.baseImage().ifPresent(base -> environment.put("RAFTKV_BASE_IMAGE", base));
        environment.put("COMPOSE_PROJECT_NAME", "raftkv-smoke-" + UUID.randomUUID().toString().substring(0, 8));
        compose = new ComposeProject(environment.get("COMPOSE_PROJECT_NAME"), environment);
        long start = System.nanoTime();
        try {
            Command.Result run = ReadmeQuickStart.run(Duration.ofMinutes(8), environment,
                    List.of(block.subList(0, block.size() - 1))).requireSuccess();
            assertTrue(ReadmeQuickStart.outputLines(run).contains("hello"), "the block's get: " + run.output());
            assertTrue(run.output().contains("waiting for kv1-kv3 to elect a leader"), "progress: " + run.output());
            for (String service : KV_SERVICES) {
                compose.awaitHealthy(service, Duration.ofMinutes(2));
            }
        } catch (AssertionError | RuntimeException e) {
            compose.down();
            throw e;
        }
        System.out.printf("README block up, put and get, and the KV nodes healthy in %.1f s%n",
                (System.nanoTime() - start) / 1e9);
        clerk = Clerk.connect(clientPorts.values().stream().map(port -> new HostPort("127.0.0.1", port)).toList(),
                ClientOptions.DEFAULT.withTimeout(Duration.ofSeconds(30)));
    }

    /** The README block's last line, then compose's own down as a safety net (it never throws). */
    @AfterAll
    void down() {
        if (clerk != null) {
            clerk.close();
        }
        if (compose != null) {
            List<String> block = ReadmeQuickStart.blockWith("bin/compose up");
            Command.Result run = ReadmeQuickStart.run(Duration.ofMinutes(2), environment,
                    List.of(block.subList(block.size() - 1, block.size())));
            compose.down();
            run.requireSuccess();
        }
    }

    private String cluster() {
        return String.join(",", clientPorts.values().stream().map(port -> "127.0.0.1:" + port).toList());
    }

    @Test
    @Order(1)
    void putAndGetThroughThePublishedPortsWithTheClerkAndTheCli() {
        clerk.put("greeting", "hello");
        assertEquals("hello", assertInstanceOf(GetResult.Found.class, clerk.get("greeting")).text());

        Path kv = Project.root().resolve("bin/kv");
        Command.Result get = Command.run(Duration.ofMinutes(1),
                List.of(kv.toString(), "--cluster", cluster(), "--timeout", "30s", "get", "greeting"));
        assertEquals(0, get.exitCode(), get.output());
        assertEquals("hello", get.output().strip());
        Command.Result missing = Command.run(Duration.ofMinutes(1),
                List.of(kv.toString(), "--cluster", cluster(), "--timeout", "30s", "get", "no-such-key"));
        assertEquals(1, missing.exitCode(), missing.output());
    }

    @Test
    @Order(2)
    void everyNodeServesItsMetricsAndTheyMoveWithTraffic() {
        Map<String, MetricsScrape> before = new LinkedHashMap<>();
        for (String service : KV_SERVICES) {
            MetricsScrape scrape = scrape(service);
            for (String name : NODE_METRICS) {
                assertTrue(scrape.names().contains(name), service + " lacks " + name + "; it has " + scrape.names());
            }
            assertTrue(scrape.sum("raft_term") >= 1, service + " is in term " + scrape.sum("raft_term"));
            before.put(service, scrape);
        }
        for (int i = 0; i < 20; i++) {
            clerk.put("metrics-" + i, "v" + i);
        }
        // Followers learn the new commit index with the next heartbeat: poll briefly.
        for (String service : KV_SERVICES) {
            double commitBefore = before.get(service).sum("raft_commit_index");
            Eventually.await(service + " raft_commit_index past " + commitBefore + " + 20", Duration.ofSeconds(30),
                    () -> scrape(service).sum("raft_commit_index") >= commitBefore + 20);
            MetricsScrape after = scrape(service);
            assertTrue(after.sum("raft_fsync_seconds_count") > before.get(service).sum("raft_fsync_seconds_count"),
                    service + ": no fsync counted");
            assertTrue(after.sum("rocksdb_wal_syncs_total") > before.get(service).sum("rocksdb_wal_syncs_total"),
                    service + ": no WAL sync counted");
        }
        // The puts were answered by the leader (raft_role 3): its request series exist and counted them.
        String leader = Eventually.awaitValue("a leader in the metrics", Duration.ofSeconds(30), () -> KV_SERVICES
                .stream().filter(service -> scrape(service).sum("raft_role") == 3).findFirst().orElse(null));
        MetricsScrape leaderAfter = scrape(leader);
        for (String name : REQUEST_METRICS) {
            assertTrue(leaderAfter.names().contains(name), leader + " lacks " + name + "; it has "
                    + leaderAfter.names());
        }
        String okPut = "op=\"put\",result=\"ok\"";
        double okPuts = leaderAfter.sum("kv_requests_seconds_count", okPut);
        assertTrue(okPuts >= before.get(leader).sum("kv_requests_seconds_count", okPut) + 20,
                leader + " counted " + okPuts + " ok puts");
        assertTrue(leaderAfter.sum("grpc_server_calls_seconds_count", "method=\"Put\"") >= 20,
                leader + ": gRPC Put calls " + leaderAfter.sum("grpc_server_calls_seconds_count", "method=\"Put\""));
        // The same published port serves the node's status page and the JSON it polls, to the host.
        String page = MetricsScrape.fetch("http://127.0.0.1:" + metricsPorts.get(leader) + "/");
        assertTrue(page.contains("<title>raftkv node</title>") && page.contains("function startPolling("), page);
        String status = MetricsScrape.fetch("http://127.0.0.1:" + metricsPorts.get(leader) + "/status.json");
        assertTrue(status.contains("\"group\":\"kv\",\"role\":\"leader\""), status);
    }

    private MetricsScrape scrape(String service) {
        return MetricsScrape.of("http://127.0.0.1:" + metricsPorts.get(service) + "/metrics");
    }

    @Test
    @Order(3)
    void prometheusScrapesEveryNode(@TempDir Path dir) {
        Optional<Path> binary = PrometheusProcess.binary();
        if (binary.isEmpty()) {
            switch (DockerSupport.decide(false, System.getenv(DockerSupport.REQUIRE_VARIABLE))) {
                case SKIP -> Assumptions.abort("no prometheus binary on the PATH (apt-get install prometheus)");
                default -> throw new AssertionError(DockerSupport.REQUIRE_VARIABLE
                        + "=1 but no prometheus binary is on the PATH (.ci/run installs Debian's prometheus)");
            }
        }
        List<String> targets = metricsPorts.values().stream().map(port -> "127.0.0.1:" + port).toList();
        try (PrometheusProcess prometheus = PrometheusProcess.start(binary.get(), dir, "kv-server", targets)) {
            List<String> up = Eventually.awaitValue("prometheus to scrape all 3 nodes", Duration.ofSeconds(60), () -> {
                List<String> values = prometheus.query("up{job=\"kv-server\"}");
                return values.size() == 3 && values.stream().allMatch("1"::equals) ? values : null;
            });
            assertEquals(List.of("1", "1", "1"), up);
            List<String> terms = prometheus.query("raft_term{app=\"kv-server\"}");
            assertEquals(3, terms.size(), "raft_term series: " + terms);
            assertTrue(terms.stream().allMatch(term -> Double.parseDouble(term) >= 1), "terms " + terms);
            // raft_role is 3 on the leader: exactly one node is.
            List<String> leaders = Eventually.awaitValue("one leader in prometheus", Duration.ofSeconds(30), () -> {
                List<String> values = prometheus.query("count(raft_role{app=\"kv-server\"} == 3)");
                return values.equals(List.of("1")) ? values : null;
            });
            System.out.println("prometheus: up " + up + ", raft_term " + terms + ", count(raft_role == 3) " + leaders);
        }
    }

    @Test
    @Order(4)
    void theMapReduceJobCountsTheWordsOfTheSamples() throws IOException {
        Eventually.await("mr-coordinator to finish", Duration.ofMinutes(3),
                () -> compose.inspect("mr-coordinator", "{{.State.Status}}").equals("exited"));
        assertEquals("0", compose.inspect("mr-coordinator", "{{.State.ExitCode}}"),
                "mr-coordinator failed:\n" + compose.run(Duration.ofSeconds(30), "logs", "--tail", "30",
                        "mr-coordinator").output());

        String volume = compose.name() + "_mr-work";
        Command.Result output = Command.run(Duration.ofMinutes(1), List.of("docker", "run", "--rm", "-v",
                volume + ":/work:ro", "--entrypoint", "sh", RaftkvImage.get(), "-c", "cat /work/mr/mr-out-*"))
                .requireSuccess();
        Map<String, Long> counted = new TreeMap<>();
        for (String line : output.output().split("\n")) {
            if (!line.isBlank()) {
                String[] fields = line.strip().split(" ");
                assertEquals(2, fields.length, "an output line is not 'word count': " + line);
                assertFalse(counted.containsKey(fields[0]), fields[0] + " is in two output files");
                counted.put(fields[0], Long.parseLong(fields[1]));
            }
        }
        assertEquals(expectedWordCount(), counted);
    }

    /** The word count of samples/*.txt: words are maximal runs of letters, as the wc app splits them. */
    private static Map<String, Long> expectedWordCount() throws IOException {
        Map<String, Long> counts = new TreeMap<>();
        List<Path> inputs;
        try (Stream<Path> files = Files.list(Project.root().resolve("samples"))) {
            inputs = files.filter(file -> file.getFileName().toString().endsWith(".txt")).sorted().toList();
        }
        assertFalse(inputs.isEmpty(), "no samples/*.txt");
        for (Path input : inputs) {
            for (String word : Files.readString(input).split("[^\\p{L}]+")) {
                if (!word.isEmpty()) {
                    counts.merge(word, 1L, Long::sum);
                }
            }
        }
        return counts;
    }

    /**
     * A rolling restart as an operator does one: each node in turn stopped with SIGTERM ({@code compose stop}, within
     * the file's stop_grace_period) and started again, while one client writes without pause. A stopping leader
     * hands leadership off first, so no wave leaves the cluster without a leader for an election timeout. The
     * longest time between two acknowledged writes in each wave is printed (the figure the README gives); every
     * acknowledged write must be there afterwards, and writes must go on while each node is down.
     */
    @Test
    @Order(5)
    void aRollingSigtermRestartUnderWrites() throws InterruptedException {
        java.util.concurrent.ConcurrentLinkedQueue<long[]> acks = new java.util.concurrent.ConcurrentLinkedQueue<>();
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        Thread writer = new Thread(() -> {
            try (Clerk client = Clerk.connect(clientPorts.values().stream()
                    .map(port -> new HostPort("127.0.0.1", port)).toList(), ClientOptions.DEFAULT
                    .withTimeout(Duration.ofSeconds(20)).withAttemptTimeout(Duration.ofMillis(300)))) {
                for (long i = 0; i < 1_000_000 && !stop.get(); i++) {
                    client.put("roll/" + i, Long.toString(i));
                    acks.add(new long[] {i, System.nanoTime()});
                }
            }
        }, "rolling-writer");
        writer.start();
        List<String> waves = new java.util.ArrayList<>();
        try {
            Eventually.await("the writer under way", Duration.ofSeconds(30), () -> acks.size() >= 20);
            for (String service : KV_SERVICES) {
                boolean leader = scrape(service).sum("raft_role") == 3;
                int before = acks.size();
                long start = System.nanoTime();
                compose.run(Duration.ofMinutes(1), "stop", service).requireSuccess();
                int whileDown = acks.size();
                Eventually.await("writes while " + service + " is down", Duration.ofSeconds(30),
                        () -> acks.size() >= whileDown + 10);
                compose.run(Duration.ofMinutes(1), "start", service).requireSuccess();
                compose.awaitHealthy(service, Duration.ofMinutes(2));
                long end = System.nanoTime();
                waves.add(String.format("%s (%s): longest write gap %d ms over %.1f s, %d writes", service,
                        leader ? "the leader" : "a follower", longestGap(acks, start, end) / 1_000_000,
                        (end - start) / 1e9, acks.size() - before));
            }
        } finally {
            stop.set(true);
            writer.join(Duration.ofSeconds(30));
        }
        System.out.println("rolling SIGTERM restart, per wave: " + String.join("; ", waves));
        assertFalse(writer.isAlive(), "the writer did not stop");
        long last = acks.stream().mapToLong(ack -> ack[0]).max().orElseThrow();
        for (long i = 0; i <= last; i++) {
            assertEquals(Long.toString(i), assertInstanceOf(GetResult.Found.class, clerk.get("roll/" + i)).text(),
                    "roll/" + i);
        }
    }

    /** The longest time between consecutive acknowledgements, counting from {@code start} to {@code end}. */
    private static long longestGap(java.util.Collection<long[]> acks, long start, long end) {
        long previous = start;
        long longest = 0;
        for (long[] ack : acks) {
            if (ack[1] < start || ack[1] > end) {
                continue;
            }
            longest = Math.max(longest, ack[1] - previous);
            previous = ack[1];
        }
        return Math.max(longest, end - previous);
    }

    @Test
    @Order(6)
    void theClusterServesAfterKv1IsKilled() {
        clerk.put("before-kill", "1");
        boolean wasLeader = scrape("kv1").sum("raft_role") == 3;
        compose.run(Duration.ofMinutes(1), "kill", "kv1");
        assertEquals("false", compose.inspect("kv1", "{{.State.Running}}"));
        long start = System.nanoTime();
        clerk.put("after-kill", "2");
        assertEquals("1", assertInstanceOf(GetResult.Found.class, clerk.get("before-kill")).text());
        assertEquals("2", assertInstanceOf(GetResult.Found.class, clerk.get("after-kill")).text());
        assertEquals("hello", assertInstanceOf(GetResult.Found.class, clerk.get("greeting")).text());
        System.out.printf("after kill kv1 (%s): first put answered in %d ms%n", wasLeader ? "the leader" : "a follower",
                (System.nanoTime() - start) / 1_000_000);
    }
}
