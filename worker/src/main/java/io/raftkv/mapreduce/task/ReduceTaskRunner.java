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

    public static Result run(MapReduceApp app, int partition, int maps, Path workDir) throws IOException {
        app.setUp(new AppContext(workDir));
        List<Cursor> cursors = new ArrayList<>(maps);
        try {
            PriorityQueue<Cursor> heap = new PriorityQueue<>(Math.max(1, maps), Cursor.ORDER);
            for (int x = 0; x < maps; x++) {
                Path file = JobFiles.intermediate(workDir, x, partition);
                if (!Files.exists(file)) {
                    throw new NoSuchFileException(file.toString(), null, "output of map task " + x + " is missing");
                }
                Cursor cursor = new Cursor(x, new IntermediateReader(file));
                cursors.add(cursor);
                if (cursor.advance()) {
                    heap.add(cursor);
                }
            }
            long[] counts = new long[2];
            AtomicFiles.write(JobFiles.output(workDir, partition), out -> {
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
            });
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
