package io.raftkv.mapreduce.sequential;

import io.raftkv.mapreduce.app.AppContext;
import io.raftkv.mapreduce.app.KeyValue;
import io.raftkv.mapreduce.app.MapReduceApp;
import io.raftkv.mapreduce.io.AtomicFiles;
import io.raftkv.mapreduce.io.JobFiles;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The reference implementation the distributed run is checked against: one process maps every input in order,
 * groups all pairs by key (values in emission order), and reduces each key in key order into {@code mr-out-0}. No
 * partitioning, no combiner, no intermediate files.
 */
public final class SequentialRunner {
    private SequentialRunner() {}

    /**
     * Runs the app over the inputs and writes {@code outDir/mr-out-0}.
     *
     * @param inputs input files as named on the command line (that name is what map receives)
     * @return the output file
     */
    public static Path run(MapReduceApp app, List<String> inputs, Path outDir) throws IOException {
        AppContext context = new AppContext(outDir);
        Map<String, List<String>> groups = new HashMap<>();
        for (String input : inputs) {
            String contents = new String(Files.readAllBytes(Path.of(input)), StandardCharsets.UTF_8);
            app.setUp(context);
            for (KeyValue pair : app.map(input, contents)) {
                groups.computeIfAbsent(pair.key(), k -> new ArrayList<>()).add(pair.value());
            }
        }
        List<String> keys = new ArrayList<>(groups.keySet());
        keys.sort(null);
        Path output = JobFiles.output(outDir, 0);
        app.setUp(context);
        AtomicFiles.write(output, out -> {
            Writer writer = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), 64 * 1024);
            for (String key : keys) {
                writer.write(key);
                writer.write(' ');
                writer.write(app.reduce(key, List.copyOf(groups.get(key))));
                writer.write('\n');
            }
            writer.flush();
        });
        return output;
    }
}
