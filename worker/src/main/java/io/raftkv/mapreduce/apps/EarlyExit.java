package io.raftkv.mapreduce.apps;

import io.raftkv.mapreduce.app.KeyValue;
import io.raftkv.mapreduce.app.MapReduceApp;
import java.util.List;

/**
 * Test app {@code early_exit}: map emits {@code (filename, "1")}; reduce outputs the count, but takes 3 seconds for
 * keys containing {@code sherlock} or {@code tom}, so a worker or coordinator that exits before the last reduce has
 * written its output is caught.
 */
public final class EarlyExit implements MapReduceApp {

    @Override
    public List<KeyValue> map(String filename, String contents) {
        return List.of(new KeyValue(filename, "1"));
    }

    @Override
    public String reduce(String key, List<String> values) {
        if (key.contains("sherlock") || key.contains("tom")) {
            Sleep.millis(3_000);
        }
        return Integer.toString(values.size());
    }
}
