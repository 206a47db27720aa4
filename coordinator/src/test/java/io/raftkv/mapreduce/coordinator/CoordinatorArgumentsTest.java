package io.raftkv.mapreduce.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.mapreduce.Samples;
import io.raftkv.mapreduce.app.UserAppJars;
import io.raftkv.testkit.Eventually;
import io.raftkv.testkit.JvmProcess;
import io.raftkv.testkit.Ports;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A coordinator given bad input stops before any work with one line naming the problem and exit code 2. */
class CoordinatorArgumentsTest {
    private static final Duration EXIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private Path workDir;
    private Path staleOutput;
    private final String input = Samples.texts().get(0).toString();

    @BeforeEach
    void leaveOutputOfAnEarlierJob() throws Exception {
        workDir = Files.createDirectories(dir.resolve("work"));
        staleOutput = Files.writeString(workDir.resolve("mr-out-0"), "earlier job\n");
    }

    @Test
    void missingInputFile() {
        Path missing = dir.resolve("missing.txt");
        assertRefused(args("--app", "wc", input, missing.toString()), "error: input file not found: " + missing);
    }

    @Test
    void unknownApp() {
        assertRefused(args("--app", "wordcount", input),
                "error: unknown app 'wordcount' (built-in apps: wc, indexer, mtiming, rtiming, jobcount, early_exit,"
                        + " crash, nocrash; a user app is given with --app-class)");
    }

    @Test
    void appClassThatDoesNotLoad() {
        Path jar = UserAppJars.upperWordCount(dir);
        assertRefused(args("--app-class", "com.example.Missing", "--app-jar", jar.toString(), input),
                "error: app class com.example.Missing not found in " + jar);
        assertRefused(args("--app-class", "java.lang.String", input),
                "error: app class java.lang.String does not implement io.raftkv.mapreduce.app.MapReduceApp");
        Path noJar = dir.resolve("missing.jar");
        assertRefused(args("--app-class", "com.example.UpperWordCount", "--app-jar", noJar.toString(), input),
                "error: app jar not found: " + noJar);
    }

    @Test
    void fewerThanOneReduceTask() {
        assertRefused(args("--app", "wc", "--reduces", "0", input), "error: --reduces must be at least 1, was 0");
        assertRefused(args("--app", "wc", "--reduces", "-2", input), "error: --reduces must be at least 1, was -2");
    }

    @Test
    void portInUse() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            assertRefused(List.of("--host", "127.0.0.1", "--port", Integer.toString(port), "--work-dir",
                    workDir.toString(), "--app", "wc", input),
                    "error: coordinator port 127.0.0.1:" + port + " is already in use");
        }
    }

    @Test
    void metricsPortInUse() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int metricsPort = taken.getLocalPort();
            assertRefused(args("--app", "wc", "--metrics-port", Integer.toString(metricsPort), input),
                    "error: metrics port " + metricsPort + " is already in use");
        }
    }

    @Test
    void noInputOrBadOption() {
        assertRefused(args("--app", "wc"), "error: Missing required parameter: 'INPUT_FILE'");
        assertRefused(args("--app", "wc", "--task-timeout", "soon", input),
                "error: Invalid value for option '--task-timeout': 'soon' is not a duration");
        assertRefused(args("--app", "wc", "--split-size", "64 apples", input),
                "error: Invalid value for option '--split-size': '64 apples' is not a size");
        assertRefused(args("--app", "wc", "--split-size", "2g", input),
                "error: --split-size must be at most 1GiB");
    }

    @Test
    void helpPrintsUsage() {
        try (JvmProcess help = JvmProcess.builder(CoordinatorMain.class).args("--help").start()) {
            assertEquals(0, help.waitFor(EXIT));
            String usage = help.output();
            for (String option : List.of("--port", "--reduces", "--app", "--app-class", "--app-jar", "--work-dir",
                    "--task-timeout", "--no-backup-tasks", "--metrics-port", "--split-size", "INPUT_FILE")) {
                assertTrue(usage.contains(option), option + " missing from:\n" + usage);
            }
        }
    }

    @Test
    void aWorkerRunningAnotherAppIsTurnedAway() {
        int port = Ports.freePort();
        try (JvmProcess coordinator = JvmProcess.builder(CoordinatorMain.class).args("--host", "127.0.0.1",
                "--port", Integer.toString(port), "--work-dir", workDir.toString(), "--app", "wc", input).start();
                JvmProcess worker = JvmProcess.builder(io.raftkv.mapreduce.worker.WorkerMain.class).args(
                        "--coordinator", "127.0.0.1:" + port, "--app", "indexer", "--give-up-after", "30s").start()) {
            assertEquals(4, worker.waitFor(EXIT), worker.output());
            assertTrue(worker.tail(1).equals("error: coordinator 127.0.0.1:" + port + " refused this worker: this"
                    + " job runs app wc but the worker runs indexer"), worker.tail(3));
            Eventually.await("the coordinator to keep waiting for a proper worker", Duration.ofSeconds(5),
                    coordinator::isAlive);
        }
    }

    private List<String> args(String... rest) {
        List<String> args = new ArrayList<>(List.of("--host", "127.0.0.1", "--port",
                Integer.toString(Ports.freePort()), "--work-dir", workDir.toString()));
        args.addAll(List.of(rest));
        return args;
    }

    private void assertRefused(List<String> args, String messageStart) {
        try (JvmProcess coordinator = JvmProcess.builder(CoordinatorMain.class).args(args).start()) {
            assertEquals(2, coordinator.waitFor(EXIT), coordinator.output());
            List<String> lines = coordinator.output().lines().toList();
            assertTrue(lines.get(0).startsWith(messageStart), lines.get(0));
            // One line for the problem; a picocli usage error adds a one-line hint about --help.
            assertTrue(lines.size() == 1 || lines.size() == 2 && lines.get(1).startsWith("Try '"), lines.toString());
        }
        assertTrue(Files.exists(staleOutput), "nothing in the work directory was touched");
    }
}
