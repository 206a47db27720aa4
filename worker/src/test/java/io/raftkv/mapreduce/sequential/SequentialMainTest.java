package io.raftkv.mapreduce.sequential;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.mapreduce.Samples;
import io.raftkv.mapreduce.app.Words;
import io.raftkv.testkit.JvmProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code mr-sequential} as a separate process: output in the current directory, one-line errors. */
class SequentialMainTest {
    private static final Duration EXIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    void writesMrOut0InTheCurrentDirectory() throws Exception {
        List<String> args = new ArrayList<>(List.of("--app", "wc"));
        Samples.texts().forEach(p -> args.add(p.toString()));
        try (JvmProcess run = JvmProcess.builder(SequentialMain.class).args(args).workDir(dir).start()) {
            assertEquals(0, run.waitFor(EXIT), run.output());
            Path output = dir.resolve("mr-out-0");
            assertTrue(run.output().contains("output: " + output.toRealPath()), run.output());
            List<String> lines = Files.readAllLines(output);
            long the = 0;
            for (Path sample : Samples.texts()) {
                the += Words.split(Files.readString(sample)).stream().filter("the"::equals).count();
            }
            assertTrue(lines.contains("the " + the), "counts 'the' " + the + " times");
            assertEquals(lines.stream().sorted().toList(), lines, "sorted by key");
        }
    }

    @Test
    void missingInputFileIsAOneLineError() {
        assertFails(List.of("--app", "wc", "no-such-file.txt"), 2, "error: input file not found: no-such-file.txt");
    }

    @Test
    void unknownAppIsAOneLineError() {
        assertFails(List.of("--app", "grep", Samples.texts().get(0).toString()), 2,
                "error: unknown app 'grep' (built-in apps: wc, indexer, mtiming, rtiming, jobcount, early_exit,"
                        + " crash, nocrash; a user app is given with --app-class)");
    }

    @Test
    void missingAppIsAOneLineError() {
        assertFails(List.of(Samples.texts().get(0).toString()), 2, "error: no app given: use --app APP");
    }

    private void assertFails(List<String> args, int code, String messageStart) {
        try (JvmProcess run = JvmProcess.builder(SequentialMain.class).args(args).workDir(dir).start()) {
            assertEquals(code, run.waitFor(EXIT), run.output());
            List<String> lines = run.output().lines().toList();
            assertEquals(1, lines.size(), "one line: " + lines);
            assertTrue(lines.get(0).startsWith(messageStart), lines.get(0));
        }
        assertTrue(Files.notExists(dir.resolve("mr-out-0")), "no output written");
    }
}
