package io.raftkv.mapreduce.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.mapreduce.Samples;
import io.raftkv.mapreduce.app.AppSpec;
import io.raftkv.mapreduce.app.UserAppJars;
import io.raftkv.testkit.JvmProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whole jobs with the coordinator and workers as separate JVMs, checking what the reference MapReduce test script
 * checks: correct output, parallel maps and reduces, no needless re-runs, no early exits.
 */
class MapReduceJobTest {
    @TempDir
    Path dir;

    private final List<Path> inputs = Samples.texts();

    @Test
    void wordCountEqualsTheSequentialRun() throws Exception {
        try (JobHarness job = new JobHarness(dir, "--app", "wc")) {
            JvmProcess coordinator = job.startCoordinator(List.of("--reduces", "5"), inputs);
            List<JvmProcess> workers = List.of(job.startWorker(), job.startWorker(), job.startWorker());
            job.awaitSuccess();
            assertEquals(job.sequentialOutput(AppSpec.builtIn("wc"), inputs), job.sortedOutput());
            for (int y = 0; y < 5; y++) {
                assertTrue(Files.exists(job.workDir().resolve("mr-out-" + y)), "mr-out-" + y);
            }
            assertTrue(coordinator.output().contains("output: " + job.workDir().resolve("mr-out-0") + " .. "
                    + job.workDir().resolve("mr-out-4")), coordinator.tail(5));
            for (JvmProcess worker : workers) {
                assertEquals(0, worker.waitFor(JobHarness.WORKER_EXIT), worker.tail(20));
            }
        }
    }

    @Test
    void wordCountOverFilesCutIntoManySplitsEqualsTheSequentialRun() throws Exception {
        List<Path> splitInputs = List.of(awkwardText(dir.resolve("awkward.txt")),
                Files.writeString(dir.resolve("empty.txt"), ""), inputs.get(0));
        try (JobHarness job = new JobHarness(dir, "--app", "wc")) {
            JvmProcess coordinator = job.startCoordinator(List.of("--reduces", "3", "--split-size", "4k"),
                    splitInputs);
            job.startWorker("--slots", "2");
            job.startWorker("--slots", "2");
            job.awaitSuccess();
            assertEquals(job.sequentialOutput(AppSpec.builtIn("wc"), splitInputs), job.sortedOutput());
            long bytes = Files.size(splitInputs.get(0));
            long expectedMaps = (bytes + 4095) / 4096 + 1 + 1;
            assertTrue(coordinator.output().contains(expectedMaps + " map tasks (3 input files"),
                    "one map task per 4 KiB split:\n" + coordinator.tail(40));
        }
    }

    /**
     * About 200 KB of lines that make split boundaries hard: long lines spanning several splits, CRLF line ends,
     * multi-byte characters, blank lines, and no newline at the end. Lines are numbered words, so a line read twice
     * or lost changes the counts.
     */
    private static Path awkwardText(Path file) throws Exception {
        Random random = new Random(7);
        String[] words = {"alpha", "beta", "gamma", "délta", "épsilon", "zêta", "ηta", "θeta", "naïve", "€uro"};
        StringBuilder text = new StringBuilder();
        for (int line = 0; text.length() < 200_000; line++) {
            int length = line % 50 == 0 ? 2_000 + random.nextInt(8_000) : random.nextInt(30);
            for (int w = 0; w < length; w++) {
                text.append(words[random.nextInt(words.length)]).append(w % 7 == 0 ? "-" : " ").append("n" + line);
                text.append(' ');
            }
            text.append(line % 3 == 0 ? "\r\n" : "\n");
        }
        text.append("last line without a newline");
        return Files.writeString(file, text.toString());
    }

    @Test
    void oneWorkerRunsTasksInSeveralSlotsAtOnce() {
        try (JobHarness job = new JobHarness(dir, "--app", "mtiming")) {
            job.startWorker("--slots", "2");
            job.startCoordinator(List.of("--reduces", "2"), inputs);
            job.awaitSuccess();
            List<String> output = job.sortedOutput();
            assertEquals(1, output.stream().filter(line -> line.startsWith("times-")).count(),
                    "one worker process mapped:\n" + output);
            assertTrue(output.stream().anyMatch(Pattern.compile("^parallel-\\d+ .*[2-9]").asPredicate()),
                    "two of its slots mapped at the same time:\n" + output);
        }
    }

    @Test
    void indexerEqualsTheSequentialRun() throws Exception {
        try (JobHarness job = new JobHarness(dir, "--app", "indexer")) {
            job.startCoordinator(List.of("--reduces", "3"), inputs);
            job.startWorker();
            job.startWorker();
            job.awaitSuccess();
            List<String> output = job.sortedOutput();
            assertEquals(job.sequentialOutput(AppSpec.builtIn("indexer"), inputs), output);
            // "the" occurs in every sample: its line lists all of them.
            String the = output.stream().filter(line -> line.startsWith("the ")).findFirst().orElseThrow();
            assertTrue(the.startsWith("the " + inputs.size() + " "), the);
        }
    }

    @Test
    void mapTasksRunInParallel() {
        try (JobHarness job = new JobHarness(dir, "--app", "mtiming")) {
            // Workers first: they wait for the coordinator, then start asking within moments of each other.
            job.startWorker();
            job.startWorker();
            job.startCoordinator(List.of("--reduces", "2"), inputs);
            job.awaitSuccess();
            List<String> output = job.sortedOutput();
            assertEquals(2, output.stream().filter(line -> line.startsWith("times-")).count(),
                    "both workers mapped:\n" + output);
            assertTrue(output.stream().anyMatch(Pattern.compile("^parallel-\\d+ .*[2-9]").asPredicate()),
                    "two workers mapped at the same time:\n" + output);
        }
    }

    @Test
    void reduceTasksRunInParallel() {
        try (JobHarness job = new JobHarness(dir, "--app", "rtiming")) {
            // Workers first: they wait for the coordinator, then start asking within moments of each other.
            job.startWorker();
            job.startWorker();
            job.startCoordinator(List.of("--reduces", "10"), inputs);
            job.awaitSuccess();
            List<String> output = job.sortedOutput();
            long parallel = output.stream().filter(Pattern.compile("^[a-z] 2").asPredicate()).count();
            assertTrue(parallel >= 2, "too few parallel reduces:\n" + output);
        }
    }

    @Test
    void noTaskRunsTwiceWithoutAFailure() {
        try (JobHarness job = new JobHarness(dir, "--app", "jobcount")) {
            // No backup copies and a timeout no healthy task reaches: on two busy cores a delayed map would
            // otherwise get a second copy legitimately, and the count would say nothing about the scheduler.
            job.startCoordinator(List.of("--reduces", "3", "--no-backup-tasks", "--task-timeout", "10m"), inputs);
            for (int i = 0; i < 4; i++) {
                job.startWorker();
            }
            job.awaitSuccess();
            assertEquals(List.of("a " + inputs.size()), job.sortedOutput(), "map tasks ran more often than needed");
        }
    }

    @Test
    void noProcessExitsBeforeTheWholeOutputExists() throws Exception {
        try (JobHarness job = new JobHarness(dir, "--app", "early_exit")) {
            List<JvmProcess> all = new ArrayList<>();
            all.add(job.startCoordinator(List.of("--reduces", "4"), inputs));
            for (int i = 0; i < 3; i++) {
                all.add(job.startWorker());
            }
            long deadline = System.nanoTime() + JobHarness.JOB_DEADLINE.toNanos();
            while (all.stream().allMatch(JvmProcess::isAlive)) {
                assertTrue(System.nanoTime() < deadline, "no process exited in time:\n" + job.logs());
                Thread.sleep(20);
            }
            // The output as it stood when the first process exited must already be the final output.
            List<String> atFirstExit = job.sortedOutput();
            job.awaitSuccess();
            for (JvmProcess process : all) {
                assertEquals(0, process.waitFor(JobHarness.WORKER_EXIT), process.tail(20));
            }
            assertEquals(job.sortedOutput(), atFirstExit);
            assertEquals(job.sequentialOutput(AppSpec.builtIn("early_exit"), inputs), atFirstExit);
        }
    }

    @Test
    void userAppFromAJar() throws Exception {
        Path jar = UserAppJars.upperWordCount(dir);
        try (JobHarness job = new JobHarness(dir, "--app-class", UserAppJars.UPPER_WORD_COUNT_CLASS,
                "--app-jar", jar.toString())) {
            job.startCoordinator(List.of("--reduces", "2"), inputs);
            job.startWorker();
            job.awaitSuccess();
            List<String> output = job.sortedOutput();
            assertEquals(job.sequentialOutput(AppSpec.userClass(UserAppJars.UPPER_WORD_COUNT_CLASS, jar), inputs),
                    output);
            assertTrue(output.stream().anyMatch(line -> line.startsWith("THE ")), "the user app upper-cases words");
            assertFalse(output.stream().anyMatch(line -> line.startsWith("the ")));
        }
    }
}
