package io.raftkv.mapreduce.task;

import io.raftkv.mapreduce.app.AppContext;
import io.raftkv.mapreduce.app.MapReduceApp;
import io.raftkv.mapreduce.io.AtomicFiles;
import io.raftkv.mapreduce.io.IntermediateReader;
import io.raftkv.mapreduce.io.JobFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * Runs one reduce task: merges the sorted files {@code mr-0-Y .. mr-(M-1)-Y} in one pass, calls reduce once per key
 * with that key's values (ordered by map task, then by emission), and writes {@code mr-out-Y} as {@code key value}
 * lines in key order.
 */
public final class ReduceTaskRunner {
    private ReduceTaskRunner() {}

    /** What a finished reduce task read and wrote. */
    public record Result(long recordsRead, long keysWritten) {}

    /** Reduces {@code mr-0-Y .. mr-(M-1)-Y} of a shared work directory into its {@code mr-out-Y}. */
    public static Result run(MapReduceApp app, int partition, int maps, Path workDir) throws IOException {
        List<Path> inputs = new ArrayList<>(maps);
        for (int x = 0; x < maps; x++) {
            Path file = JobFiles.intermediate(workDir, x, partition);
            if (!Files.exists(file)) {
                throw new NoSuchFileException(file.toString(), null, "output of map task " + x + " is missing");
            }
            inputs.add(file);
        }
        return run(app, inputs, JobFiles.output(workDir, partition), true, workDir);
    }

    /**
     * Merges the given intermediate files (index = map task) into {@code output}.
     *
     * @param sync whether to force the output to disk before it is renamed into place (not for a local copy that is
     *             uploaded and deleted)
     * @param appDir the directory the app may keep side files in ({@link AppContext})
     */
    public static Result run(MapReduceApp app, List<Path> inputs, Path output, boolean sync, Path appDir)
            throws IOException {
        app.setUp(new AppContext(appDir));
        List<Cursor> cursors = new ArrayList<>(inputs.size());
        try {
            PriorityQueue<Cursor> heap = new PriorityQueue<>(Math.max(1, inputs.size()), Cursor.ORDER);
            for (int x = 0; x < inputs.size(); x++) {
                Cursor cursor = new Cursor(x, new IntermediateReader(inputs.get(x)));
                cursors.add(cursor);
                if (cursor.advance()) {
                    heap.add(cursor);
                }
            }
            long[] counts = new long[2];
            AtomicFiles.Body body = out -> {
                OutputLines lines = new OutputLines(out);
                List<String> values = new ArrayList<>();
                while (!heap.isEmpty()) {
                    String key = heap.peek().key;
                    values.clear();
                    while (!heap.isEmpty() && heap.peek().key.equals(key)) {
                        Cursor cursor = heap.poll();
                        values.add(cursor.value);
                        if (cursor.advance()) {
                            heap.add(cursor);
                        }
                    }
                    counts[0] += values.size();
                    lines.write(key, app.reduce(key, List.copyOf(values)));
                    counts[1]++;
                }
                lines.flush();
            };
            if (sync) {
                AtomicFiles.write(output, body);
            } else {
                AtomicFiles.writeWithoutSync(output, body);
            }
            return new Result(counts[0], counts[1]);
        } finally {
            for (Cursor cursor : cursors) {
                cursor.reader.close();
            }
        }
    }

    /** The current record of one map task's file. */
    private static final class Cursor {
        static final Comparator<Cursor> ORDER =
                Comparator.<Cursor, String>comparing(c -> c.key).thenComparingInt(c -> c.mapTask);

        final int mapTask;
        final IntermediateReader reader;
        String key;
        String value;

        Cursor(int mapTask, IntermediateReader reader) {
            this.mapTask = mapTask;
            this.reader = reader;
        }

        boolean advance() throws IOException {
            if (!reader.next()) {
                return false;
            }
            key = reader.key();
            value = reader.value();
            return true;
        }
    }
}
