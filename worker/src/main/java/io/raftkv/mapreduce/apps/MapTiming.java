package io.raftkv.mapreduce.apps;

import io.raftkv.mapreduce.app.AppContext;
import io.raftkv.mapreduce.app.KeyValue;
import io.raftkv.mapreduce.app.MapReduceApp;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Test app {@code mtiming}: shows whether map tasks run in parallel. Each map emits {@code times-PID} (its start
 * time in seconds) and {@code parallel-PID} (how many workers were mapping at that moment); reduce joins the sorted
 * values. Two workers working at once give some {@code parallel-PID} line a value of 2 or more.
 */
public final class MapTiming implements MapReduceApp {
    private Path workDir = Path.of(".");

    @Override
    public void setUp(AppContext context) {
        workDir = context.workDir();
    }

    @Override
    public List<KeyValue> map(String filename, String contents) {
        double startSeconds = System.currentTimeMillis() / 1000.0;
        long pid = ProcessHandle.current().pid();
        int parallel = ParallelismProbe.countParallel(workDir, "map");
        return List.of(
                new KeyValue("times-" + pid, String.format(Locale.ROOT, "%.1f", startSeconds)),
                new KeyValue("parallel-" + pid, Integer.toString(parallel)));
    }

    @Override
    public String reduce(String key, List<String> values) {
        List<String> sorted = new ArrayList<>(values);
        sorted.sort(null);
        return String.join(" ", sorted);
    }
}
