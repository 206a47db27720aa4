package io.raftkv.kv.server.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.raftkv.kv.client.cli.KvCli;
import io.raftkv.kv.main.KvServerMain;
import io.raftkv.testkit.Eventually;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/cluster end to end: {@code up} in a temporary directory on free ports, puts and gets through bin/kv, {@code up}
 * again on the running cluster, a second cluster on ports in use, up restarting a node that was killed, up restarting
 * a node whose Raft log is corrupt (the others keep serving), one whose nodes die at start (the log's tail is shown),
 * bin/monitor scraping the cluster with the host's prometheus, {@code status}, {@code down} (data kept) and {@code down --purge}. The nodes run from this build's class path (RAFTKV_KV_SERVER_BIN), since kv-server's jar is
 * packaged only after its tests; bin/kv runs kv-client's built jar when there is one. The sharded layout is run by
 * the deploy module's ReadmeQuickStartTest, with every module's jar. Skipped without bash or curl, failed instead under {@code RAFTKV_REQUIRE_TOOLS=1} (as CI sets).
 */
class ClusterScriptTest {
    private static final Path ROOT = Path.of(System.getProperty("raftkv.projectRoot", "..")).toAbsolutePath();

    @TempDir
    Path dir;

    private record Result(int exitCode, String stdout, String stderr) {}

    /**
     * bin/cluster needs these tools: without them the test is skipped, but under RAFTKV_REQUIRE_TOOLS=1 it fails,
     * since CI installs them and a skip there would hide a test that never ran.
     */
    private static void requireTools(String... tools) {
        List<String> missing = Arrays.stream(tools).filter(tool -> !onPath(tool)).toList();
        if (missing.isEmpty()) {
            return;
        }
        String why = "bin/cluster needs " + missing + " on the PATH";
        if (toolsRequired()) {
            throw new AssertionError("RAFTKV_REQUIRE_TOOLS=1 but " + why);
        }
        assumeTrue(false, why);
    }

    @Test
    void upPutGetStatusDown() throws Exception {
        requireTools("bash", "curl");
        Path script = ROOT.resolve("bin/cluster");
        assertTrue(Files.isExecutable(script), script + " is missing");
        Path kvServer = launcher("kv-server", KvServerMain.class.getName());
        boolean kvJarBuilt = Files.isRegularFile(ROOT.resolve("kv-client/target/kv-client.jar"))
                && Files.isDirectory(ROOT.resolve("kv-client/target/lib"));
        Path kv = kvJarBuilt ? ROOT.resolve("bin/kv") : launcher("kv", KvCli.class.getName());
        Map<String, String> env = Map.of("RAFTKV_KV_SERVER_BIN", kvServer.toString(),
                "RAFTKV_KV_BIN", kv.toString(), "RAFTKV_JAVA_OPTS", "-Xmx256m");
        int base = freeRange(4); // n4, added later, takes the fourth
        int metricsBase = freeRange(4);
        Path data = dir.resolve("cluster");
        try {
            Result up = run(env, Duration.ofSeconds(150), script.toString(), "up", data.toString(),
                    "--base-port", Integer.toString(base), "--metrics-base-port", Integer.toString(metricsBase));
            assertEquals(0, up.exitCode(), up::toString);
            assertTrue(up.stderr().contains("n2 answers on 127.0.0.1:" + (base + 1))
                    && up.stderr().contains("the cluster has a leader: n"), "progress lines: " + up);
            String expected = "export KV_CLUSTER=127.0.0.1:" + base + ",127.0.0.1:" + (base + 1) + ",127.0.0.1:"
                    + (base + 2);
            List<String> lines = up.stdout().lines().toList();
            assertEquals(expected, lines.get(lines.size() - 1), up::toString);
            List<Long> pids = new ArrayList<>();
            for (String id : List.of("n1", "n2", "n3")) {
                pids.add(Long.parseLong(Files.readString(data.resolve(id + ".pid")).trim()));
                assertTrue(Files.isDirectory(data.resolve(id)), id + " has no data directory");
            }
            assertTrue(pids.stream().allMatch(pid -> ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)));

            Map<String, String> kvEnv = Map.of("KV_CLUSTER", expected.substring("export KV_CLUSTER=".length()),
                    "RAFTKV_JAVA_OPTS", "-Xmx128m");
            assertEquals(0, run(kvEnv, Duration.ofSeconds(60), kv.toString(), "put", "k", "from bin/kv").exitCode());
            Result get = run(kvEnv, Duration.ofSeconds(60), kv.toString(), "get", "k");
            assertEquals(new Result(0, "from bin/kv\n", ""), get);
            monitorScrapesEveryNode(data);

            Result again = run(env, Duration.ofSeconds(60), script.toString(), "up", data.toString());
            assertEquals(0, again.exitCode(), again::toString);
            assertTrue(again.stderr().contains("already running"), again::toString);
            assertEquals(expected, again.stdout().strip(), again::toString);

            Result clash = run(env, Duration.ofSeconds(60), script.toString(), "up", dir.resolve("other").toString(),
                    "--base-port", Integer.toString(base), "--metrics-base-port", Integer.toString(freeRange(3)));
            assertEquals(2, clash.exitCode(), clash::toString);
            assertTrue(clash.stderr().contains("port " + base + " (for node n1) is already in use"),
                    clash::toString);
            Result noCluster = run(env, Duration.ofSeconds(60), script.toString(), "status",
                    dir.resolve("other").toString());
            assertEquals(3, noCluster.exitCode(), noCluster::toString);
            assertTrue(noCluster.stderr().startsWith("error: no cluster was started from"), noCluster::toString);

            // A node killed behind the script's back: up starts it again on its recorded port.
            ProcessHandle.of(pids.get(1)).ifPresent(ProcessHandle::destroyForcibly);
            Eventually.await("n2 dies", Duration.ofSeconds(20),
                    () -> ProcessHandle.of(pids.get(1)).map(h -> !h.isAlive()).orElse(true));
            Result restart = run(env, Duration.ofSeconds(150), script.toString(), "up", data.toString());
            assertEquals(0, restart.exitCode(), restart::toString);
            assertTrue(restart.stderr().contains("n1 n3 already running") && restart.stderr().contains("starting n2"),
                    restart::toString);
            assertEquals(expected, restart.stdout().strip(), restart::toString);
            pids.set(1, Long.parseLong(Files.readString(data.resolve("n2.pid")).trim()));
            Result afterRestart = run(kvEnv, Duration.ofSeconds(60), kv.toString(), "get", "k");
            assertEquals(new Result(0, "from bin/kv\n", ""), afterRestart);

            // n3 killed and its Raft log corrupted: up shows n3's error, exits 3 and leaves n1 and n2 serving.
            ProcessHandle.of(pids.get(2)).ifPresent(ProcessHandle::destroyForcibly);
            Eventually.await("n3 dies", Duration.ofSeconds(20),
                    () -> ProcessHandle.of(pids.get(2)).map(h -> !h.isAlive()).orElse(true));
            Files.writeString(data.resolve("n3/raft/log/CURRENT"), "not a manifest name");
            Result corrupt = run(env, Duration.ofSeconds(150), script.toString(), "up", data.toString());
            assertEquals(3, corrupt.exitCode(), corrupt::toString);
            assertTrue(corrupt.stderr().contains("node n3 exited while starting")
                    && corrupt.stderr().contains("is corrupt")
                    && corrupt.stderr().contains("member remove n3`, move ")
                    && corrupt.stderr().contains("left running: n1 n2"), corrupt::toString);
            for (int i = 0; i < 2; i++) {
                assertTrue(ProcessHandle.of(pids.get(i)).map(ProcessHandle::isAlive).orElse(false),
                        "n" + (i + 1) + " must keep running: " + corrupt);
            }
            assertEquals(0, run(kvEnv, Duration.ofSeconds(60), kv.toString(), "put", "k", "n1 and n2 serve")
                    .exitCode());

            Result dies = run(env, Duration.ofSeconds(90), script.toString(), "up", dir.resolve("bad").toString(),
                    "--base-port", Integer.toString(freeRange(3)), "--metrics-base-port",
                    Integer.toString(freeRange(3)), "--", "--max-raft-state", "0");
            assertEquals(3, dies.exitCode(), dies::toString);
            assertTrue(dies.stderr().contains("exited while starting")
                    && dies.stderr().contains("--max-raft-state must be positive"), dies::toString);

            Result status = run(env, Duration.ofSeconds(60), script.toString(), "status", data.toString());
            assertEquals(0, status.exitCode(), status::toString);
            assertTrue(status.stdout().contains("n1 pid " + pids.get(0)), status::toString);
            assertEquals(1, status.stdout().lines().filter(l -> l.matches("n\\d +\\S+ +LEADER .*")).count(),
                    status::toString);

            // The dead n3 replaced: add-node starts n4 and makes it a voter, remove-node takes n3 out.
            Result added = run(env, Duration.ofSeconds(150), script.toString(), "add-node", data.toString());
            assertEquals(0, added.exitCode(), added::toString);
            assertTrue(added.stderr().contains("n4 is a voter"), added::toString);
            assertEquals(expected + ",127.0.0.1:" + (base + 3), added.stdout().strip(), added::toString);
            Result removed = run(env, Duration.ofSeconds(60), script.toString(), "remove-node", "n3",
                    data.toString());
            assertEquals(0, removed.exitCode(), removed::toString);
            String replaced = "export KV_CLUSTER=127.0.0.1:" + base + ",127.0.0.1:" + (base + 1) + ",127.0.0.1:"
                    + (base + 3);
            assertEquals(replaced, removed.stdout().strip(), removed::toString);
            assertFalse(Files.exists(data.resolve("n3")), "remove-node deletes the node's data");
            Map<String, String> replacedEnv = Map.of("KV_CLUSTER", replaced.substring("export KV_CLUSTER=".length()),
                    "RAFTKV_JAVA_OPTS", "-Xmx128m");
            Result members = run(replacedEnv, Duration.ofSeconds(60), kv.toString(), "member", "list");
            assertEquals(0, members.exitCode(), members::toString);
            assertEquals(3, members.stdout().lines().filter(l -> l.matches("n[124] .* voter .*")).count(),
                    members::toString);
            assertEquals(new Result(0, "n1 and n2 serve\n", ""), run(replacedEnv, Duration.ofSeconds(60),
                    kv.toString(), "get", "k"));
            Result unknownNode = run(env, Duration.ofSeconds(60), script.toString(), "remove-node", "n9",
                    data.toString());
            assertEquals(2, unknownNode.exitCode(), unknownNode::toString);
            pids.set(2, Long.parseLong(Files.readString(data.resolve("n4.pid")).trim()));

            Result down = run(env, Duration.ofSeconds(60), script.toString(), "down", data.toString());
            assertEquals(0, down.exitCode(), down::toString);
            assertTrue(down.stdout().contains("stopped 3 node(s)") && down.stdout().contains("n1 stopped (pid "),
                    down::toString);
            for (long pid : pids) {
                Eventually.await("pid " + pid + " exits", Duration.ofSeconds(20),
                        () -> ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true));
            }
            assertTrue(Files.isDirectory(data.resolve("n1")), "down must keep the data");

            Result purge = run(env, Duration.ofSeconds(60), script.toString(), "down", "--purge", data.toString());
            assertEquals(0, purge.exitCode(), purge::toString);
            assertFalse(Files.exists(data), "down --purge leaves " + data);
        } finally {
            if (Files.isDirectory(data)) {
                run(env, Duration.ofSeconds(60), script.toString(), "down", data.toString());
            }
        }
    }

    /**
     * bin/monitor against the running cluster: the host's prometheus, configured from DIR's recorded layout, scrapes
     * all three nodes. Skipped without a prometheus binary, unless RAFTKV_REQUIRE_TOOLS=1 (CI installs it).
     */
    private void monitorScrapesEveryNode(Path data) throws Exception {
        if (!onPath("prometheus") && !toolsRequired()) {
            return;
        }
        String monitor = ROOT.resolve("bin/monitor").toString();
        String monitorDir = dir.resolve("monitor").toString();
        int port = freeRange(1);
        try {
            Result up = run(Map.of(), Duration.ofSeconds(60), monitor, "up", "--cluster", data.toString(), "--port",
                    Integer.toString(port), "--dir", monitorDir);
            assertEquals(0, up.exitCode(), up::toString);
            assertEquals("http://localhost:" + port + "\n", up.stdout(), up::toString);
            Eventually.await("prometheus to scrape all three nodes", Duration.ofSeconds(45), () -> {
                try {
                    return run(Map.of(), Duration.ofSeconds(30), monitor, "status", "--dir", monitorDir).stdout()
                            .contains(": 3 of 3 targets up");
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
        } finally {
            Result down = run(Map.of(), Duration.ofSeconds(30), monitor, "down", "--dir", monitorDir);
            assertEquals(0, down.exitCode(), down::toString);
        }
    }

    private static boolean toolsRequired() {
        String required = System.getenv("RAFTKV_REQUIRE_TOOLS");
        return required != null && (required.trim().equals("1") || required.trim().equalsIgnoreCase("true"));
    }

    @Test
    void usageErrorsExitWithTwo() throws Exception {
        requireTools("bash");
        String script = ROOT.resolve("bin/cluster").toString();
        Result none = run(Map.of(), Duration.ofSeconds(30), script);
        assertEquals(2, none.exitCode(), none::toString);
        assertTrue(none.stderr().startsWith("error: missing command"), none::toString);
        Result unknown = run(Map.of(), Duration.ofSeconds(30), script, "frobnicate");
        assertEquals(2, unknown.exitCode(), unknown::toString);
        Result badPort = run(Map.of(), Duration.ofSeconds(30), script, "up", "--base-port", "seven");
        assertEquals(2, badPort.exitCode(), badPort::toString);
        assertTrue(badPort.stderr().startsWith("error: --base-port needs a port number"), badPort::toString);
        for (String command : List.of("up", "down", "status", "add-node", "remove-node")) {
            Result help = run(Map.of(), Duration.ofSeconds(30), script, command, "--help");
            assertEquals(0, help.exitCode(), help::toString);
            assertTrue(help.stdout().contains("Usage: bin/cluster up") && help.stdout().contains("--purge"),
                    help::toString);
        }
    }

    /** A launcher script like bin/kv-server that runs {@code mainClass} from this test's class path. */
    private Path launcher(String name, String mainClass) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        Path classpathFile = dir.resolve(name + ".classpath");
        Files.writeString(classpathFile, System.getProperty("java.class.path"));
        Path file = dir.resolve(name);
        Files.writeString(file, "#!/usr/bin/env bash\n"
                + "exec '" + java + "' --enable-native-access=ALL-UNNAMED -XX:+UseSerialGC -XX:TieredStopAtLevel=1"
                + " ${RAFTKV_JAVA_OPTS:-} -cp \"$(cat '" + classpathFile + "')\" " + mainClass + " \"$@\"\n",
                StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        return file;
    }

    private Result run(Map<String, String> env, Duration timeout, String... command) throws Exception {
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        builder.environment().putAll(env);
        Process process = builder.start();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish within " + timeout
                    + "\nstdout: " + Files.readString(out) + "\nstderr: " + Files.readString(err));
        }
        return new Result(process.exitValue(), Files.readString(out), Files.readString(err));
    }

    private static boolean onPath(String program) {
        for (String entry : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!entry.isEmpty() && Files.isExecutable(Path.of(entry, program))) {
                return true;
            }
        }
        return false;
    }

    /** The first of {@code count} consecutive loopback ports that are free now (bin/cluster takes a base port). */
    private static int freeRange(int count) {
        for (int attempt = 0; attempt < 200; attempt++) {
            int base = ThreadLocalRandom.current().nextInt(20_000, 30_000);
            boolean free = true;
            for (int port = base; port < base + count && free; port++) {
                try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
                    socket.setReuseAddress(true);
                } catch (IOException e) {
                    free = false;
                }
            }
            if (free) {
                return base;
            }
        }
        throw new IllegalStateException("no " + count + " consecutive free ports found");
    }
}
