package io.raftkv.mapreduce.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.raftkv.mapreduce.sequential.SequentialMain;
import io.raftkv.mapreduce.worker.WorkerMain;
import io.raftkv.testkit.JvmProcess;
import io.raftkv.testkit.Ports;
import java.io.BufferedWriter;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Word count over generated text (about 56 MB in 16 files, words drawn from a 20,000-word vocabulary with a
 * Zipf-like distribution): the sequential runner against coordinator plus 1, 2 and 4 workers, each a separate JVM
 * with full JIT. Prints wall time and throughput; asserts only that every run computes the same counts.
 *
 * <p>Run with {@code ./mvnw -B verify -Pbenchmark -pl coordinator -am}.
 */
@Tag("benchmark")
class WordCountBenchmarkTest {
    private static final int FILES = 16;
    private static final long BYTES_PER_FILE = 3_500_000;
    private static final int VOCABULARY = 20_000;
    private static final double ZIPF_EXPONENT = 1.1;
    private static final int REDUCES = 8;
    private static final Duration RUN_DEADLINE = Duration.ofMinutes(10);
    /** The coordinator's closing log line: the job's own time, without JVM start-up. */
    private static final Pattern JOB_TIME = Pattern.compile("done after (\\d+) ms");

    @TempDir
    Path dir;

    @Test
    void sequentialAgainstOneTwoAndFourWorkers() throws Exception {
        List<Path> inputs = generate(dir.resolve("input"));
        long bytes = 0;
        for (Path input : inputs) {
            bytes += Files.size(input);
        }
        double megabytes = bytes / 1e6;
        List<String> report = new ArrayList<>();
        report.add(String.format(Locale.ROOT, "word count over %.1f MB in %d files; %d CPUs, load average %.2f at start",
                megabytes, inputs.size(), Runtime.getRuntime().availableProcessors(),
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()));
        report.add(String.format(Locale.ROOT, "%-28s %10s %10s %14s", "run", "wall s", "MB/s",
                "job s (coord.)"));

        Path sequentialDir = Files.createDirectories(dir.resolve("sequential"));
        double sequential = timeSequential(inputs, sequentialDir);
        report.add(row("sequential (1 JVM)", sequential, megabytes, Double.NaN));
        List<String> expected = JobHarness.sortedOutput(sequentialDir);

        for (int workers : new int[] {1, 2, 4}) {
            Path workDir = dir.resolve("distributed-" + workers);
            double[] seconds = timeDistributed(inputs, workDir, workers);
            report.add(row("coordinator + " + workers + " worker" + (workers > 1 ? "s" : ""), seconds[0], megabytes,
                    seconds[1]));
            assertEquals(expected, JobHarness.sortedOutput(workDir), "distributed counts equal sequential counts");
        }
        report.add(String.format(Locale.ROOT, "load average %.2f at the end; wall time includes starting the JVMs,"
                + " job time is the coordinator's own from listening to the last report",
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()));
        System.out.println(String.join("\n", report));
    }

    private static String row(String name, double seconds, double megabytes, double jobSeconds) {
        return String.format(Locale.ROOT, "%-28s %10.2f %10.1f %14s", name, seconds, megabytes / seconds,
                Double.isNaN(jobSeconds) ? "-" : String.format(Locale.ROOT, "%.2f", jobSeconds));
    }

    private double timeSequential(List<Path> inputs, Path outDir) {
        List<String> args = new ArrayList<>(List.of("--app", "wc", "--out-dir", outDir.toString()));
        inputs.forEach(input -> args.add(input.toString()));
        long start = System.nanoTime();
        try (JvmProcess run = JvmProcess.builder(SequentialMain.class).fullJit().args(args)
                .log(dir.resolve("sequential.log")).start()) {
            assertEquals(0, run.waitFor(RUN_DEADLINE), run.tail(20));
        }
        return (System.nanoTime() - start) / 1e9;
    }

    /** Wall seconds (JVM starts included) and the job seconds the coordinator reports. */
    private double[] timeDistributed(List<Path> inputs, Path workDir, int workers) {
        int port = Ports.freePort();
        List<String> args = new ArrayList<>(List.of("--host", "127.0.0.1", "--port", Integer.toString(port),
                "--app", "wc", "--reduces", Integer.toString(REDUCES), "--work-dir", workDir.toString()));
        inputs.forEach(input -> args.add(input.toString()));
        List<JvmProcess> processes = new ArrayList<>();
        long start = System.nanoTime();
        try {
            JvmProcess coordinator = JvmProcess.builder(CoordinatorMain.class).fullJit().args(args)
                    .log(dir.resolve("coordinator-" + workers + ".log")).start();
            processes.add(coordinator);
            for (int w = 0; w < workers; w++) {
                processes.add(JvmProcess.builder(WorkerMain.class).fullJit()
                        .args("--coordinator", "127.0.0.1:" + port, "--app", "wc", "--give-up-after", "30s")
                        .log(dir.resolve("worker-" + workers + "-" + w + ".log")).start());
            }
            assertEquals(0, coordinator.waitFor(RUN_DEADLINE), coordinator.tail(20));
            double wall = (System.nanoTime() - start) / 1e9;
            Matcher job = JOB_TIME.matcher(coordinator.output());
            return new double[] {wall, job.find() ? Long.parseLong(job.group(1)) / 1e3 : Double.NaN};
        } finally {
            processes.forEach(JvmProcess::close);
        }
    }

    /** Deterministic text: the same seed gives the same files on every machine. */
    private static List<Path> generate(Path inputDir) throws IOException {
        Files.createDirectories(inputDir);
        Random random = new Random(6_824);
        String[] words = vocabulary(random);
        double[] cumulative = zipf(words.length);
        List<Path> files = new ArrayList<>();
        for (int f = 0; f < FILES; f++) {
            Path file = inputDir.resolve(String.format(Locale.ROOT, "text-%02d.txt", f));
            long written = 0;
            try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
                int inLine = 0;
                while (written < BYTES_PER_FILE) {
                    String word = words[sample(cumulative, random.nextDouble())];
                    if (inLine == 0) {
                        word = Character.toUpperCase(word.charAt(0)) + word.substring(1);
                    }
                    out.write(word);
                    written += word.length();
                    inLine++;
                    String separator = inLine >= 12 ? ".\n" : random.nextInt(10) == 0 ? ", " : " ";
                    if (separator.equals(".\n")) {
                        inLine = 0;
                    }
                    out.write(separator);
                    written += separator.length();
                }
            }
            files.add(file);
        }
        return files;
    }

    private static String[] vocabulary(Random random) {
        String[] syllables = {"ka", "lo", "mi", "ne", "ru", "ta", "so", "vi", "de", "pa", "gu", "shi", "ton", "mar",
            "el", "an", "or", "is", "ber", "qua", "zen", "ly", "ight", "ow", "ster"};
        Set<String> seen = new LinkedHashSet<>();
        while (seen.size() < VOCABULARY) {
            int parts = 1 + random.nextInt(4);
            StringBuilder word = new StringBuilder();
            for (int p = 0; p < parts; p++) {
                word.append(syllables[random.nextInt(syllables.length)]);
            }
            seen.add(word.toString());
        }
        return seen.toArray(String[]::new);
    }

    /** Cumulative probabilities of ranks 1..n with weight 1/rank^s. */
    private static double[] zipf(int n) {
        double[] cumulative = new double[n];
        double total = 0;
        for (int rank = 1; rank <= n; rank++) {
            total += 1.0 / Math.pow(rank, ZIPF_EXPONENT);
            cumulative[rank - 1] = total;
        }
        for (int i = 0; i < n; i++) {
            cumulative[i] /= total;
        }
        return cumulative;
    }

    private static int sample(double[] cumulative, double u) {
        int index = Arrays.binarySearch(cumulative, u);
        return Math.min(cumulative.length - 1, index >= 0 ? index : -index - 1);
    }
}
