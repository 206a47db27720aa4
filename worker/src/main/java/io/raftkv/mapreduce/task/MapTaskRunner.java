package io.raftkv.mapreduce.task;

import io.raftkv.mapreduce.app.AppContext;
import io.raftkv.mapreduce.app.Combiner;
import io.raftkv.mapreduce.app.KeyValue;
import io.raftkv.mapreduce.app.MapReduceApp;
import io.raftkv.mapreduce.io.AtomicFiles;
import io.raftkv.mapreduce.io.IntermediateWriter;
import io.raftkv.mapreduce.io.JobFiles;
import io.raftkv.mapreduce.io.PartitionChecksum;
import io.raftkv.mapreduce.io.Partitioner;
import io.raftkv.mapreduce.io.SplitReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Runs one map task: reads the input split's whole lines ({@link SplitReader}), calls the app's map, groups the pairs
 * by key (a key's values keep their emission order), applies the combiner if the app has one, splits the keys into R
 * partitions, and writes each partition sorted by key as {@code mr-X-Y}, with its checksum beside it. Every partition gets a file, empty ones
 * included, so a reduce task can tell a missing file from an empty partition.
 */
public final class MapTaskRunner {
    private MapTaskRunner() {}

    /** What a finished map task read and wrote. */
    public record Result(long inputBytes, long pairsEmitted, long recordsWritten) {}

    /** Maps the whole input file. */
    public static Result run(MapReduceApp app, int mapTask, Path input, String inputName, int reduces, Path workDir)
            throws IOException {
        return run(app, mapTask, input, 0, 0, inputName, reduces, workDir);
    }

    /**
     * Maps the lines of bytes {@code [offset, offset + length)} of the input (offset 0 and length 0: the whole file).
     * The app still sees {@code inputName}, the file's name, for every split of it.
     */
    public static Result run(MapReduceApp app, int mapTask, Path input, long offset, long length, String inputName,
            int reduces, Path workDir) throws IOException {
        return run(app, mapTask, SplitReader.read(input, offset, length), inputName, reduces, workDir, workDir);
    }

    /**
     * Maps the given split bytes (whole lines, however they were read) and writes {@code mr-X-Y} into
     * {@code outputDir}.
     *
     * @param appDir the directory the app may keep side files in ({@link AppContext})
     */
    public static Result run(MapReduceApp app, int mapTask, byte[] bytes, String inputName, int reduces,
            Path outputDir, Path appDir) throws IOException {
        if (reduces < 1) {
            throw new IllegalArgumentException("reduces must be at least 1, was " + reduces);
        }
        app.setUp(new AppContext(appDir));
        List<KeyValue> pairs = app.map(inputName, new String(bytes, StandardCharsets.UTF_8));

        // Grouping first means partitioning and sorting work per distinct key, not per pair.
        Map<String, List<String>> groups = new HashMap<>();
        for (KeyValue pair : pairs) {
            groups.computeIfAbsent(pair.key(), key -> new ArrayList<>(2)).add(pair.value());
        }
        Optional<Combiner> combiner = app.combiner();
        List<List<Map.Entry<String, List<String>>>> partitions = new ArrayList<>(reduces);
        for (int y = 0; y < reduces; y++) {
            partitions.add(new ArrayList<>());
        }
        for (Map.Entry<String, List<String>> group : groups.entrySet()) {
            if (combiner.isPresent() && group.getValue().size() > 1) {
                group.setValue(List.of(combiner.get().combine(group.getKey(), List.copyOf(group.getValue()))));
            }
            partitions.get(Partitioner.partition(group.getKey(), reduces)).add(group);
        }
        long written = 0;
        for (int y = 0; y < reduces; y++) {
            List<Map.Entry<String, List<String>>> partition = partitions.get(y);
            partition.sort(Map.Entry.comparingByKey());
            written += writePartition(JobFiles.intermediate(outputDir, mapTask, y), partition);
        }
        return new Result(bytes.length, pairs.size(), written);
    }

    private static long writePartition(Path file, List<Map.Entry<String, List<String>>> sorted) throws IOException {
        long[] written = {0};
        // No fsync: intermediate files are re-created by re-running the map task whenever they are lost, and a
        // machine crash loses the worker's attempt anyway. The rename still keeps a process crash from leaving half
        // a file, and the reader's trailer check rejects a file cut by a machine crash.
        AtomicFiles.writeWithoutSync(file, out -> {
            IntermediateWriter writer = new IntermediateWriter(out);
            for (Map.Entry<String, List<String>> group : sorted) {
                for (String value : group.getValue()) {
                    writer.write(group.getKey(), value);
                    written[0]++;
                }
            }
            writer.finish();
        });
        PartitionChecksum.of(file).writeBeside(file);
        return written[0];
    }
}
