package io.raftkv.mapreduce.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.mapreduce.worker.WorkerMain;
import io.raftkv.testkit.Eventually;
import io.raftkv.testkit.JvmProcess;
import io.raftkv.testkit.Ports;
import java.io.IOException;
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
 * What the shuffle service costs: word count with a shared work directory ({@code --shared-work-dir}) against the
 * same job with map outputs served by the workers and reduce output streamed to the coordinator, run in turn (shared,
 * shuffle, then shuffle, shared, ...) so that each pair shares the machine's state, on one large file (size {@code
 * -Draftkv.mr.bench.bigFileMiB}, default 256, 64 MiB splits) and on 150 small files. Coordinator and 2 workers, each
 * a JVM with full JIT. Prints per run the job time, shuffle bytes and the time reduces spent fetching, per pair the
 * ratio of job times, and the median ratio with its spread; then, per mode, the job time when one worker is killed
 * (SIGKILL) right after the map phase, against that mode's median. Asserts only that every run computes the same
 * counts. Pairs: {@code -Draftkv.mr.bench.pairs} (default 3).
 *
 * <p>Run with {@code ./mvnw -B verify -Pbenchmark -pl coordinator -am -Dtest=ShuffleBenchmarkTest}.
 */
@Tag("benchmark")
class ShuffleBenchmarkTest {
    private static final int REDUCES = 8;
    private static final int WORKERS = 2;
    private static final long MIB = 1L << 20;
    private static final Duration RUN_DEADLINE = Duration.ofMinutes(20);
    private static final Pattern JOB_TIME = Pattern.compile("done after (\\d+) ms");
    private static final Pattern MAPS_DONE = Pattern.compile("map (\\d+)/\\1 done");

    @TempDir
    Path dir;

    private int runs;

    private record Run(String mode, double jobSeconds, long shuffleBytes, double fetchSeconds, List<String> output) {}

    @Test
    void sharedDirectoryAgainstShuffleService() throws Exception {
        int pairs = Integer.getInteger("raftkv.mr.bench.pairs", 3);
        long mebibytes = Long.getLong("raftkv.mr.bench.bigFileMiB", 256);
        List<String> report = new ArrayList<>();
        compare(report, mebibytes + " MiB in one file, 64 MiB splits",
                GeneratedText.files(dir.resolve("large"), 1, mebibytes * MIB), List.of("--split-size", "64MiB"),
                pairs, true);
        compare(report, "9.9 MB in 150 files", GeneratedText.files(dir.resolve("small"), 150, 66_000), List.of(),
                pairs, false);
        System.out.println(String.join("\n", report));
    }

    private void compare(List<String> report, String title, List<Path> inputs, List<String> options, int pairs,
            boolean withKill) throws Exception {
        report.add("");
        report.add("word count over " + title + ", coordinator + " + WORKERS + " workers");
        report.add(String.format(Locale.ROOT, "%-8s %-26s %8s %11s %9s", "pair", "mode", "job s", "shuffle MB",
                "fetch s"));
        List<String> expected = null;
        List<Double> ratios = new ArrayList<>();
        List<Double> sharedTimes = new ArrayList<>();
        List<Double> shuffleTimes = new ArrayList<>();
        for (int pair = 1; pair <= pairs; pair++) {
            // Alternate which mode goes first, so neither always runs on the warmer machine.
            boolean sharedFirst = pair % 2 == 1;
            Run first = run(inputs, options, sharedFirst, false);
            Run second = run(inputs, options, !sharedFirst, false);
            Run shared = sharedFirst ? first : second;
            Run shuffle = sharedFirst ? second : first;
            for (Run run : List.of(first, second)) {
                report.add(row("pair " + pair, run));
                if (expected == null) {
                    expected = run.output();
                }
                assertEquals(expected, run.output(), "every run computes the same counts");
            }
            sharedTimes.add(shared.jobSeconds());
            shuffleTimes.add(shuffle.jobSeconds());
            ratios.add(shuffle.jobSeconds() / shared.jobSeconds());
            report.add(String.format(Locale.ROOT, "%-8s job time shuffle / shared: %.3f", "", ratios.getLast()));
        }
        report.add(String.format(Locale.ROOT, "median ratio shuffle / shared: %.3f (min %.3f, max %.3f)",
                median(ratios), ratios.stream().min(Double::compare).orElseThrow(),
                ratios.stream().max(Double::compare).orElseThrow()));
        if (withKill) {
            for (boolean shared : new boolean[] {true, false}) {
                Run killed = run(inputs, options, shared, true);
                assertEquals(expected, killed.output(), "a run with a killed worker computes the same counts");
                double typical = median(shared ? sharedTimes : shuffleTimes);
                report.add(row("killed", killed) + String.format(Locale.ROOT,
                        "   (a worker SIGKILLed after the map phase: %+.2f s against this mode's median %.2f s)",
                        killed.jobSeconds() - typical, typical));
            }
        }
    }

    private static String row(String label, Run run) {
        return String.format(Locale.ROOT, "%-8s %-26s %8.2f %11.1f %9.2f", label, run.mode(), run.jobSeconds(),
                run.shuffleBytes() / 1e6, run.fetchSeconds());
    }

    /** One job; with {@code killAfterMaps}, the first worker is killed once the coordinator reports every map done. */
    private Run run(List<Path> inputs, List<String> options, boolean shared, boolean killAfterMaps)
            throws IOException {
        Path runDir = Files.createDirectories(dir.resolve("run-" + ++runs));
        Path workDir = runDir.resolve("work");
        int port = Ports.freePort();
        List<String> args = new ArrayList<>(List.of("--host", "127.0.0.1", "--port", Integer.toString(port),
                "--app", "wc", "--reduces", Integer.toString(REDUCES), "--work-dir", workDir.toString()));
        if (shared) {
            args.add("--shared-work-dir");
        }
        args.addAll(options);
        inputs.forEach(input -> args.add(input.toString()));
        List<JvmProcess> processes = new ArrayList<>();
        List<Path> workerLogs = new ArrayList<>();
        try {
            JvmProcess coordinator = JvmProcess.builder(CoordinatorMain.class).fullJit().args(args)
                    .log(runDir.resolve("coordinator.log")).start();
            processes.add(coordinator);
            for (int w = 0; w < WORKERS; w++) {
                Path log = runDir.resolve("worker-" + w + ".log");
                workerLogs.add(log);
                processes.add(JvmProcess.builder(WorkerMain.class).fullJit().args("--coordinator",
                        "127.0.0.1:" + port, "--app", "wc", "--give-up-after", "30s", "--local-dir",
                        runDir.resolve("local-" + w).toString()).log(log).start());
            }
            if (killAfterMaps) {
                Eventually.await("the map phase to end", RUN_DEADLINE,
                        () -> MAPS_DONE.matcher(coordinator.output()).find() || !coordinator.isAlive());
                processes.get(1).kill();
            }
            assertEquals(0, coordinator.waitFor(RUN_DEADLINE), coordinator.tail(20));
            Matcher job = JOB_TIME.matcher(coordinator.output());
            assertTrue(job.find(), coordinator.tail(20));
            long bytes;
            double fetchSeconds;
            if (shared) {
                bytes = intermediateBytes(workDir);
                fetchSeconds = 0;
            } else {
                ShuffleFigures figures = ShuffleFigures.fromWorkerLogs(workerLogs);
                bytes = figures.bytes();
                fetchSeconds = figures.fetchMillis() / 1e3;
            }
            String mode = (shared ? "shared directory" : "shuffle service") + (killAfterMaps ? ", 1 killed" : "");
            return new Run(mode, Long.parseLong(job.group(1)) / 1e3, bytes, fetchSeconds,
                    JobHarness.sortedOutput(workDir));
        } finally {
            processes.forEach(JvmProcess::close);
        }
    }

    /** The map outputs a shared-directory job left beside its output: what its reduces read. */
    private static long intermediateBytes(Path workDir) throws IOException {
        long total = 0;
        try (var files = Files.newDirectoryStream(workDir, "mr-[0-9]*-[0-9]*")) {
            for (Path file : files) {
                if (!file.getFileName().toString().endsWith(".crc")) {
                    total += Files.size(file);
                }
            }
        }
        return total;
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }
}
