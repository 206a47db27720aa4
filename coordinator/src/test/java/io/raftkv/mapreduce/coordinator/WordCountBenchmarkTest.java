package io.raftkv.mapreduce.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.mapreduce.sequential.SequentialMain;
import io.raftkv.mapreduce.worker.WorkerMain;
import io.raftkv.testkit.JvmProcess;
import io.raftkv.testkit.Ports;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Word count over generated text ({@link GeneratedText}): the
 * sequential runner against a coordinator plus 1 and 2 workers, each a separate JVM with full JIT, on (a) about
 * 10 MB in 150 files, (b) one large file cut into splits (size {@code -Draftkv.mr.bench.bigFileMiB}, default 256;
 * split size {@code -Draftkv.mr.bench.splitSize}, default the coordinator's 64MiB; {@code
 * -Draftkv.mr.bench.sequential=false} skips the sequential run, which holds every pair in memory and so does not fit
 * a 1 GiB file, and checks the two distributed runs against each other), and (c) 300 one-line files, whose
 * job time is almost all per-task overhead. Prints wall time, job time, throughput, tasks, per-task overhead and
 * shuffle bytes; asserts only that every run computes the same counts.
 *
 * <p>Run with {@code ./mvnw -B verify -Pbenchmark -pl coordinator -am}.
 */
@Tag("benchmark")
class WordCountBenchmarkTest {
    private static final int REDUCES = 8;
    private static final Duration RUN_DEADLINE = Duration.ofMinutes(20);
    private static final long MIB = 1L << 20;
    /** The coordinator's closing log line: the job's own time, without JVM start-up. */
    private static final Pattern JOB_TIME = Pattern.compile("done after (\\d+) ms");
    private static final Pattern MAP_TASKS = Pattern.compile("(\\d+) map tasks");

    @TempDir
    Path dir;

    @Test
    void manyFiles() throws Exception {
        List<Path> inputs = GeneratedText.files(dir.resolve("input"), 150, 66_000);
        compare("word count over many files", inputs, List.of(), true);
    }

    @Test
    void oneLargeFile() throws Exception {
        long mebibytes = Long.getLong("raftkv.mr.bench.bigFileMiB", 256);
        String splitSize = System.getProperty("raftkv.mr.bench.splitSize", "64MiB");
        List<Path> inputs = GeneratedText.files(dir.resolve("input"), 1, mebibytes * MIB);
        compare("word count over one large file, split size " + splitSize, inputs,
                List.of("--split-size", splitSize), Boolean.parseBoolean(System.getProperty(
                        "raftkv.mr.bench.sequential", "true")));
    }

    @Test
    void perTaskOverhead() throws Exception {
        Path inputDir = Files.createDirectories(dir.resolve("tiny"));
        List<Path> inputs = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            inputs.add(Files.writeString(inputDir.resolve(String.format(Locale.ROOT, "tiny-%03d.txt", i)),
                    "tiny input number " + i + " with a few words\n"));
        }
        List<String> report = new ArrayList<>();
        report.add("per-task overhead: word count over 300 one-line files (" + (inputs.size() + REDUCES)
                + " tasks), coordinator + 1 worker; overhead = job time / tasks");
        report.add(header());
        for (int slots : new int[] {1, 2}) {
            Run run = distributed(inputs, dir.resolve("tiny-" + slots), 1, List.of(), slots);
            report.add(row("1 worker, " + slots + " slot" + (slots > 1 ? "s" : ""), run, bytes(inputs)));
        }
        System.out.println(String.join("\n", report));
    }

    private void compare(String title, List<Path> inputs, List<String> options, boolean withSequential)
            throws Exception {
        long bytes = bytes(inputs);
        List<String> report = new ArrayList<>();
        report.add(String.format(Locale.ROOT, "%s: %.1f MB in %d files; %d CPUs, load average %.2f at start", title,
                bytes / 1e6, inputs.size(), Runtime.getRuntime().availableProcessors(), loadAverage()));
        report.add(header());
        List<String> expected = null;
        if (withSequential) {
            Path sequentialDir = Files.createDirectories(dir.resolve("sequential"));
            double sequential = timeSequential(inputs, sequentialDir);
            report.add(String.format(Locale.ROOT, "%-30s %8.2f %8s %8.1f", "sequential (1 JVM)", sequential, "-",
                    bytes / 1e6 / sequential));
            expected = JobHarness.sortedOutput(sequentialDir);
        }
        for (int workers : new int[] {1, 2}) {
            Path workDir = dir.resolve("distributed-" + workers);
            Run run = distributed(inputs, workDir, workers, options, 0);
            report.add(row("coordinator + " + workers + " worker" + (workers > 1 ? "s" : ""), run, bytes));
            List<String> output = JobHarness.sortedOutput(workDir);
            if (expected == null) {
                expected = output;
            }
            assertEquals(expected, output, "every run computes the same counts");
        }
        report.add(String.format(Locale.ROOT, "load average %.2f at the end; wall time includes starting the JVMs,"
                + " job time is the coordinator's own from listening to the last report; MB/s by wall time;"
                + " workers run one slot per CPU", loadAverage()));
        System.out.println(String.join("\n", report));
    }

    /** One distributed run. */
    private record Run(double wallSeconds, double jobSeconds, int tasks, long shuffleBytes) {}

    private static String header() {
        return String.format(Locale.ROOT, "%-30s %8s %8s %8s %6s %13s %14s", "run", "wall s", "job s", "MB/s",
                "tasks", "ms/task (job)", "shuffle MB");
    }

    private static String row(String name, Run run, long bytes) {
        return String.format(Locale.ROOT, "%-30s %8.2f %8.2f %8.1f %6d %13.1f %14.1f", name, run.wallSeconds(),
                run.jobSeconds(), bytes / 1e6 / run.wallSeconds(), run.tasks(), run.jobSeconds() * 1e3 / run.tasks(),
                run.shuffleBytes() / 1e6);
    }

    private double timeSequential(List<Path> inputs, Path outDir) {
        List<String> args = new ArrayList<>(List.of("--app", "wc", "--out-dir", outDir.toString()));
        inputs.forEach(input -> args.add(input.toString()));
        long start = System.nanoTime();
        // The sequential runner holds every pair of the whole input in memory at once.
        try (JvmProcess run = JvmProcess.builder(SequentialMain.class).fullJit().jvmArgs("-Xmx16g").args(args)
                .log(dir.resolve("sequential.log")).start()) {
            assertEquals(0, run.waitFor(RUN_DEADLINE), run.tail(20));
        }
        return (System.nanoTime() - start) / 1e9;
    }

    /** @param slots per worker; 0 for the worker's default (one per CPU) */
    private Run distributed(List<Path> inputs, Path workDir, int workers, List<String> options, int slots)
            throws IOException {
        int port = Ports.freePort();
        List<String> args = new ArrayList<>(List.of("--host", "127.0.0.1", "--port", Integer.toString(port),
                "--app", "wc", "--reduces", Integer.toString(REDUCES), "--work-dir", workDir.toString()));
        args.addAll(options);
        inputs.forEach(input -> args.add(input.toString()));
        List<JvmProcess> processes = new ArrayList<>();
        long start = System.nanoTime();
        try {
            JvmProcess coordinator = JvmProcess.builder(CoordinatorMain.class).fullJit().args(args)
                    .log(dir.resolve(workDir.getFileName() + "-coordinator.log")).start();
            processes.add(coordinator);
            for (int w = 0; w < workers; w++) {
                List<String> workerArgs = new ArrayList<>(List.of("--coordinator", "127.0.0.1:" + port, "--app",
                        "wc", "--give-up-after", "30s"));
                if (slots > 0) {
                    workerArgs.addAll(List.of("--slots", Integer.toString(slots)));
                }
                processes.add(JvmProcess.builder(WorkerMain.class).fullJit().args(workerArgs)
                        .log(dir.resolve(workDir.getFileName() + "-worker-" + w + ".log")).start());
            }
            assertEquals(0, coordinator.waitFor(RUN_DEADLINE), coordinator.tail(20));
            double wall = (System.nanoTime() - start) / 1e9;
            Matcher job = JOB_TIME.matcher(coordinator.output());
            Matcher maps = MAP_TASKS.matcher(coordinator.output());
            assertTrue(job.find() && maps.find(), coordinator.tail(20));
            return new Run(wall, Long.parseLong(job.group(1)) / 1e3, Integer.parseInt(maps.group(1)) + REDUCES,
                    shuffleBytes(workDir));
        } finally {
            processes.forEach(JvmProcess::close);
        }
    }

    /** What the reduce tasks read: the map outputs the workers' logs say they fetched or read in place. */
    private long shuffleBytes(Path workDir) throws IOException {
        List<Path> logs = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, workDir.getFileName() + "-worker-*.log")) {
            files.forEach(logs::add);
        }
        return ShuffleFigures.fromWorkerLogs(logs).bytes();
    }

    private static long bytes(List<Path> inputs) throws IOException {
        long bytes = 0;
        for (Path input : inputs) {
            bytes += Files.size(input);
        }
        return bytes;
    }

    private static double loadAverage() {
        return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
    }
}
