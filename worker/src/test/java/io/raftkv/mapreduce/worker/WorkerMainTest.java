package io.raftkv.mapreduce.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.testkit.JvmProcess;
import io.raftkv.testkit.Ports;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The worker's own exits; its work with a coordinator is tested in the coordinator module. */
class WorkerMainTest {
    private static final Duration EXIT = Duration.ofSeconds(60);

    @Test
    void givesUpWhenTheCoordinatorWasNeverReachable() {
        int port = Ports.freePort();
        try (JvmProcess worker = JvmProcess.builder(WorkerMain.class)
                .args("--coordinator", "127.0.0.1:" + port, "--app", "wc", "--give-up-after", "1s").start()) {
            assertEquals(3, worker.waitFor(EXIT), worker.output());
            String last = worker.tail(1);
            assertTrue(last.startsWith("error: coordinator 127.0.0.1:" + port + " unreachable for "), last);
        }
    }

    @Test
    void refusesToStartWithoutACoordinatorOrWithABadApp() {
        assertUsageError(List.of("--app", "wc"), "error: no coordinator given: use --coordinator HOST:PORT");
        assertUsageError(List.of("--coordinator", "localhost:7070", "--app", "nope"), "error: unknown app 'nope'");
        assertUsageError(List.of("--coordinator", "localhost", "--app", "wc"),
                "error: Invalid value for option '--coordinator': 'localhost' is not host:port");
        assertUsageError(List.of("--coordinator", "localhost:7070", "--app-class", "com.example.Nope"),
                "error: app class com.example.Nope not found in the class path");
        assertUsageError(List.of("--coordinator", "localhost:7070", "--app", "wc", "--slots", "0"),
                "error: --slots must be at least 1, was 0");
        assertUsageError(List.of("--coordinator", "localhost:7070", "--app", "wc", "--input-from", "sideways"),
                "error: Invalid value for option '--input-from'");
    }

    @Test
    void refusesALocalDirectoryItCannotCreate(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        assertUsageError(List.of("--coordinator", "localhost:7070", "--app", "wc", "--local-dir",
                file.resolve("local").toString()), "error: cannot create --local-dir " + file.resolve("local"));
    }

    private static void assertUsageError(List<String> args, String messageStart) {
        try (JvmProcess worker = JvmProcess.builder(WorkerMain.class).args(args).start()) {
            assertEquals(2, worker.waitFor(EXIT), worker.output());
            String first = worker.output().lines().findFirst().orElse("");
            assertTrue(first.startsWith(messageStart), first);
        }
    }
}
