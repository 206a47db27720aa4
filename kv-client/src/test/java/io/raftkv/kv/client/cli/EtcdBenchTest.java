package io.raftkv.kv.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.testkit.Ports;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kv bench --etcd} against a real 3-member etcd started by {@code bin/etcd-local}: runs only where the
 * {@code etcd} binary is installed (Debian's etcd-server package) and is skipped elsewhere.
 */
@EnabledIf(value = "etcdInstalled",
        disabledReason = "etcd is not installed (apt-get install -y etcd-server): the etcd runs are skipped")
class EtcdBenchTest {
    @TempDir
    static Path dir;

    private static final Path ROOT = Path.of(System.getProperty("raftkv.projectRoot", "..")).toAbsolutePath();
    private static String endpoints;
    private static final int[] PORTS = new int[6];

    @BeforeAll
    static void startEtcd() throws Exception {
        int[] free = Ports.freePorts(6);
        System.arraycopy(free, 0, PORTS, 0, 6);
        Script up = script("up");
        assertEquals(0, up.exitCode(), up::toString);
        List<String> lines = up.stdout().lines().toList();
        endpoints = lines.get(lines.size() - 1);
        assertEquals("http://127.0.0.1:" + PORTS[0] + ",http://127.0.0.1:" + PORTS[2] + ",http://127.0.0.1:"
                + PORTS[4], endpoints);
    }

    @AfterAll
    static void stopEtcd() throws Exception {
        if (endpoints == null) {
            return;
        }
        List<Long> pids = pids();
        Script down = script("down");
        assertEquals(0, down.exitCode(), down::toString);
        assertEquals("etcd: stopped 3 member(s) of " + dir.resolve("etcd"), down.stdout().strip());
        for (long pid : pids) {
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "member " + pid + " runs");
        }
        Script status = script("status");
        assertEquals(3, status.exitCode(), status::toString);
        assertEquals(3, status.stdout().lines().filter(line -> line.endsWith(" stopped")).count(), status::toString);
    }

    @Test
    void theScriptReportsThreeHealthyMembers() throws Exception {
        Script status = script("status");
        assertEquals(0, status.exitCode(), status::toString);
        assertEquals(3, status.stdout().lines().filter(line -> line.endsWith(" healthy")).count(), status::toString);
        Script again = script("up");
        assertEquals(2, again.exitCode(), again::toString);
        assertTrue(again.stderr().contains("already runs"), again::toString);
    }

    @Test
    void writesLandInEtcd() throws Exception {
        CliRun run = CliRun.run("bench", "--etcd", endpoints, "--workload", "write", "--clients", "8", "--ops", "200",
                "--keys", "40", "--value-size", "32", "--warmup", "0", "--key-prefix", "written/");
        assertEquals(0, run.exitCode(), run::toString);
        Map<String, String> summary = KvBenchTest.summary(run);
        assertEquals("\"etcd\"", summary.get("system"));
        assertEquals("200", summary.get("ok"));
        assertEquals("0", summary.get("errors"));
        // Read back through etcd's own HTTP gateway, not through the client under test.
        String written = rangeCount("written/", "written0");
        assertTrue(written.matches("\"count\":\"([1-9]|[1-3][0-9]|40)\""), written);
    }

    @Test
    void readAndMixedRunsPreloadAndFindEveryKey() {
        for (String workload : List.of("read", "mixed")) {
            CliRun run = CliRun.run("bench", "--etcd", endpoints, "--workload", workload, "--clients", "16", "--ops",
                    "300", "--keys", "50", "--warmup", "200ms", "--key-prefix", workload + "/");
            assertEquals(0, run.exitCode(), run::toString);
            Map<String, String> summary = KvBenchTest.summary(run);
            assertEquals("300", summary.get("ok"), run::toString);
            assertEquals("{}", summary.get("errorsByKind"), run::toString);
            assertTrue(run.stdout().contains("preload     50 keys written"), run::toString);
        }
    }

    @Test
    void anUnreachableEtcdFailsFastWithExitCodeThree() {
        String nowhere = "http://127.0.0.1:" + Ports.freePort();
        CliRun run = CliRun.run("--timeout", "1s", "bench", "--etcd", nowhere, "--ops", "5");
        assertEquals(3, run.exitCode(), run::toString);
        String expected = "error: cannot reach etcd at " + nowhere + ": no answer within 1s";
        assertTrue(run.stderr().lines().anyMatch(expected::equals), run::toString);
    }

    /** {@code "count":"N"} for the keys in [from, to), from the first member's JSON gateway. */
    private static String rangeCount(String from, String to) throws IOException, InterruptedException {
        Base64.Encoder base64 = Base64.getEncoder();
        String body = "{\"key\":\"" + base64.encodeToString(from.getBytes(StandardCharsets.UTF_8))
                + "\",\"range_end\":\"" + base64.encodeToString(to.getBytes(StandardCharsets.UTF_8))
                + "\",\"count_only\":true}";
        HttpRequest request = HttpRequest.newBuilder(URI.create(endpoints.split(",")[0] + "/v3/kv/range"))
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(body)).build();
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode(), response::body);
            Matcher count = Pattern.compile("\"count\":\"\\d+\"").matcher(response.body());
            assertTrue(count.find(), response::body);
            return count.group();
        }
    }

    static boolean etcdInstalled() {
        return Arrays.stream(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .anyMatch(path -> Files.isExecutable(Path.of(path, "etcd")));
    }

    private static List<Long> pids() throws IOException {
        List<Long> pids = new java.util.ArrayList<>();
        for (String member : List.of("m1", "m2", "m3")) {
            pids.add(Long.parseLong(Files.readString(dir.resolve("etcd").resolve(member + ".pid")).strip()));
        }
        return pids;
    }

    record Script(int exitCode, String stdout, String stderr) {}

    private static Script script(String command) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(ROOT.resolve("bin/etcd-local").toString(), command,
                dir.resolve("etcd").toString());
        builder.environment().put("ETCD_LOCAL_CLIENT_PORTS", PORTS[0] + "," + PORTS[2] + "," + PORTS[4]);
        builder.environment().put("ETCD_LOCAL_PEER_PORTS", PORTS[1] + "," + PORTS[3] + "," + PORTS[5]);
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        if (!process.waitFor(90, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("bin/etcd-local " + command + " did not finish within 90s");
        }
        return new Script(process.exitValue(), Files.readString(out), Files.readString(err));
    }
}
