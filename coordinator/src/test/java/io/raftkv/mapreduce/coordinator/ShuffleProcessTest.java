package io.raftkv.mapreduce.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.mapreduce.Samples;
import io.raftkv.mapreduce.app.AppSpec;
import io.raftkv.testkit.Eventually;
import io.raftkv.testkit.JvmProcess;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Jobs whose processes share no directory: each worker keeps its map outputs in its own {@code --local-dir} and serves
 * them, reads its input splits from the coordinator ({@code --input-from coordinator}), and streams its reduce output
 * back; only {@code mr-out-*} ever appears in the coordinator's work directory.
 */
class ShuffleProcessTest {
    private static final Duration MARKER_WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private final List<Path> inputs = Samples.texts();

    @Test
    void wordCountAndIndexerWithNothingSharedEqualTheSequentialRuns() throws Exception {
        for (String app : List.of("wc", "indexer")) {
            Path jobDir = Files.createDirectories(dir.resolve(app));
            try (JobHarness job = new JobHarness(jobDir, "--app", app)) {
                job.startCoordinator(List.of("--reduces", "3"), inputs);
                Path localA = jobDir.resolve("local-a");
                Path localB = jobDir.resolve("local-b");
                JvmProcess a = job.startWorker("--local-dir", localA.toString(), "--input-from", "coordinator");
                JvmProcess b = job.startWorker("--local-dir", localB.toString(), "--input-from", "coordinator");
                job.awaitSuccess();
                assertEquals(job.sequentialOutput(AppSpec.builtIn(app), inputs), job.sortedOutput(), app);
                try (Stream<Path> files = Files.list(job.workDir())) {
                    List<String> names = files.map(file -> file.getFileName().toString()).sorted().toList();
                    assertEquals(List.of("mr-out-0", "mr-out-1", "mr-out-2"), names, "the coordinator's directory");
                }
                for (JvmProcess worker : List.of(a, b)) {
                    assertEquals(0, worker.waitFor(JobHarness.WORKER_EXIT), worker.output());
                }
                // A worker's map outputs go with it.
                assertEquals(List.of(), jobFiles(localA), "left in " + localA);
                assertEquals(List.of(), jobFiles(localB), "left in " + localB);
            }
        }
    }

    /**
     * Worker A maps everything, then sits in a reduce. One byte of a partition it holds is flipped on its disk; worker
     * B, fetching that partition for the other reduce, finds it does not match its checksum and reports it lost, so
     * the coordinator runs that one map task again. The output is still the sequential one.
     */
    @Test
    void aPartitionFlippedOnTheServingDiskIsNeverReducedAndItsMapTaskRunsAgain() throws Exception {
        try (JobHarness job = new JobHarness(dir, "--app-class", SlowWordCount.class.getName())) {
            job.startCoordinator(List.of("--reduces", "2", "--task-timeout", "2s", "--no-backup-tasks"), inputs);
            Path localA = dir.resolve("local-a");
            JvmProcess a = job.startWorker(Map.of("SLOW_REDUCE_MS", "600000"), "--local-dir", localA.toString());
            Eventually.await("worker A to be inside a reduce task", MARKER_WAIT,
                    () -> job.hasFileStartingWith("slow-reduce-" + a.pid()));

            // Reduce task 0 came first, so partition 1 is the one the other worker fetches.
            Path partition = jobFiles(localA).stream().filter(file -> file.getFileName().toString().equals("mr-0-1"))
                    .findFirst().orElseThrow(() -> new AssertionError("no mr-0-1 in " + jobFiles(localA)));
            byte[] bytes = Files.readAllBytes(partition);
            bytes[bytes.length / 2] ^= 0x20;
            Files.write(partition, bytes);

            JvmProcess b = job.startWorker("--local-dir", dir.resolve("local-b").toString());
            job.awaitSuccess();
            assertEquals(job.sequentialOutput(AppSpec.userClass(SlowWordCount.class.getName(), null), inputs),
                    job.sortedOutput());
            String coordinatorLog = job.coordinator().output();
            assertTrue(coordinatorLog.contains("re-running map task(s) [0]"), coordinatorLog);
            assertTrue(b.output().contains("mr-0-1 does not match its checksum"), b.output());
        }
    }

    private static List<Path> jobFiles(Path localDir) {
        if (!Files.isDirectory(localDir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(localDir)) {
            return files.filter(Files::isRegularFile).filter(file -> file.getFileName().toString().startsWith("mr-"))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
