package io.raftkv.mapreduce.coordinator;

import io.raftkv.mapreduce.app.AppContext;
import io.raftkv.mapreduce.app.KeyValue;
import io.raftkv.mapreduce.app.MapReduceApp;
import io.raftkv.mapreduce.apps.WordCount;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Word count that can be told, through the worker's environment, to take its time: {@code SLOW_MAP_MS} per map
 * task and {@code SLOW_REDUCE_MS} per reduce task. Before it dawdles it leaves a marker
 * {@code slow-map-PID} or {@code slow-reduce-PID} in the work directory, so a test knows the worker is in the middle
 * of a task.
 */
public final class SlowWordCount implements MapReduceApp {
    private final WordCount wc = new WordCount();
    private final long mapMillis = delay("SLOW_MAP_MS");
    private final long reduceMillis = delay("SLOW_REDUCE_MS");
    private Path workDir = Path.of(".");
    private boolean reduceStarted;

    @Override
    public void setUp(AppContext context) {
        workDir = context.workDir();
        reduceStarted = false;
    }

    @Override
    public List<KeyValue> map(String filename, String contents) {
        dawdle("map", mapMillis);
        return wc.map(filename, contents);
    }

    @Override
    public String reduce(String key, List<String> values) {
        if (!reduceStarted) {
            reduceStarted = true;
            dawdle("reduce", reduceMillis);
        }
        return wc.reduce(key, values);
    }

    private void dawdle(String phase, long millis) {
        if (millis <= 0) {
            return;
        }
        try {
            Files.writeString(workDir.resolve("slow-" + phase + "-" + ProcessHandle.current().pid()), "x");
            Thread.sleep(millis);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static long delay(String variable) {
        String value = System.getenv(variable);
        return value == null || value.isBlank() ? 0 : Long.parseLong(value.trim());
    }
}
