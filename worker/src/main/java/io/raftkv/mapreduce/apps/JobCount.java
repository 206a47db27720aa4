package io.raftkv.mapreduce.apps;

import io.raftkv.mapreduce.app.AppContext;
import io.raftkv.mapreduce.app.KeyValue;
import io.raftkv.mapreduce.app.MapReduceApp;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Test app {@code jobcount}: counts how many map tasks ran. Each map leaves a file {@code mr-worker-jobcount-PID-N}
 * and takes 2 to 5 seconds; the single key {@code a} reduces to the number of such files. Without failures it must
 * equal the number of input files: a scheduler that hands out tasks twice needlessly shows up here.
 */
public final class JobCount implements MapReduceApp {
    private static final String PREFIX = "mr-worker-jobcount";

    /** Shared by the worker's slots (one app instance each), so their marker names never collide. */
    private static final AtomicInteger COUNT = new AtomicInteger();

    private Path workDir = Path.of(".");

    @Override
    public void setUp(AppContext context) {
        workDir = context.workDir();
    }

    @Override
    public List<KeyValue> map(String filename, String contents) {
        Path marker = workDir.resolve(PREFIX + "-" + ProcessHandle.current().pid() + "-" + COUNT.getAndIncrement());
        try {
            Files.writeString(marker, "x");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Sleep.millis(2_000 + ThreadLocalRandom.current().nextInt(3_000));
        return List.of(new KeyValue("a", "x"));
    }

    @Override
    public String reduce(String key, List<String> values) {
        int invocations = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(workDir, PREFIX + "*")) {
            for (Path ignored : files) {
                invocations++;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Integer.toString(invocations);
    }
}
