package io.raftkv.mapreduce.apps;

import io.raftkv.mapreduce.app.AppContext;
import io.raftkv.mapreduce.app.KeyValue;
import io.raftkv.mapreduce.app.MapReduceApp;
import java.nio.file.Path;
import java.util.List;

/**
 * Test app {@code rtiming}: shows whether reduce tasks run in parallel. Every map emits the keys {@code a} to
 * {@code j}; each reduce outputs how many workers were reducing at that moment (a line {@code x 2} means two at
 * once).
 */
public final class ReduceTiming implements MapReduceApp {
    private static final List<String> KEYS = List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j");

    private Path workDir = Path.of(".");

    @Override
    public void setUp(AppContext context) {
        workDir = context.workDir();
    }

    @Override
    public List<KeyValue> map(String filename, String contents) {
        return KEYS.stream().map(key -> new KeyValue(key, "1")).toList();
    }

    @Override
    public String reduce(String key, List<String> values) {
        return Integer.toString(ParallelismProbe.countParallel(workDir, "reduce"));
    }
}
