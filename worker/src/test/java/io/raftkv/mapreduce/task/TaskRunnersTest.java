package io.raftkv.mapreduce.task;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.mapreduce.Samples;
import io.raftkv.mapreduce.app.AppRegistry;
import io.raftkv.mapreduce.app.AppSpec;
import io.raftkv.mapreduce.app.KeyValue;
import io.raftkv.mapreduce.app.MapReduceApp;
import io.raftkv.mapreduce.io.IntermediateReader;
import io.raftkv.mapreduce.io.JobFiles;
import io.raftkv.mapreduce.io.Partitioner;
import io.raftkv.mapreduce.sequential.SequentialRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Map and reduce task runners in one process, checked against the sequential reference. */
class TaskRunnersTest {
    @TempDir
    Path workDir;
    @TempDir
    Path referenceDir;

    /** Splits of 256 bytes: the indexer's output names files, so every split must pass on its file's name. */
    @ParameterizedTest(name = "{0} in 256-byte splits")
    @CsvSource({"wc", "indexer"})
    void splitRunEqualsSequentialRun(String app) throws Exception {
        List<Path> inputs = Samples.texts();
        List<String> names = inputs.stream().map(Path::toString).toList();
        int task = 0;
        for (int i = 0; i < inputs.size(); i++) {
            long size = Files.size(inputs.get(i));
            for (long offset = 0; offset < size; offset += 256) {
                MapTaskRunner.run(create(app), task++, inputs.get(i), offset, Math.min(256, size - offset),
                        names.get(i), 2, workDir);
            }
        }
        assertTrue(task > 2 * inputs.size(), "the samples are cut into several splits each: " + task);
        List<String> distributed = new ArrayList<>();
        for (int y = 0; y < 2; y++) {
            ReduceTaskRunner.run(create(app), y, task, workDir);
            distributed.addAll(Files.readAllLines(JobFiles.output(workDir, y)));
        }
        SequentialRunner.run(create(app), names, referenceDir);
        assertEquals(Files.readAllLines(JobFiles.output(referenceDir, 0)).stream().sorted().toList(),
                distributed.stream().sorted().toList());
    }

    @ParameterizedTest(name = "{0} with R={1}")
    @CsvSource({"wc, 1", "wc, 3", "wc, 10", "indexer, 1", "indexer, 4", "nocrash, 2", "early_exit, 5"})
    void partitionedRunEqualsSequentialRun(String app, int reduces) throws Exception {
        List<Path> inputs = Samples.texts();
        if (app.equals("early_exit")) {
            // Its slow keys are the names of two sample files; the others keep this test quick.
            inputs = inputs.stream().filter(p -> !p.toString().contains("sherlock")
                    && !p.toString().contains("tom")).toList();
        }
        List<String> names = inputs.stream().map(Path::toString).toList();
        for (int x = 0; x < inputs.size(); x++) {
            MapTaskRunner.run(create(app), x, inputs.get(x), names.get(x), reduces, workDir);
        }
        List<String> distributed = new ArrayList<>();
        for (int y = 0; y < reduces; y++) {
            ReduceTaskRunner.run(create(app), y, inputs.size(), workDir);
            List<String> lines = Files.readAllLines(JobFiles.output(workDir, y));
            assertEquals(lines.stream().sorted().toList(), lines, "mr-out-" + y + " is sorted by key");
            for (String line : lines) {
                String key = line.substring(0, line.indexOf(' '));
                assertEquals(y, Partitioner.partition(key, reduces), "key " + key + " is in its partition");
            }
            distributed.addAll(lines);
        }
        SequentialRunner.run(create(app), names, referenceDir);
        List<String> reference = Files.readAllLines(JobFiles.output(referenceDir, 0));
        assertTrue(reference.size() > 3, "the reference output has content");
        assertEquals(reference.stream().sorted().toList(), distributed.stream().sorted().toList());
    }

    @Test
    void combinerShrinksWordCountIntermediates() throws Exception {
        Path input = Samples.texts().get(0);
        MapTaskRunner.Result result = MapTaskRunner.run(create("wc"), 0, input, "in", 2, workDir);
        assertTrue(result.recordsWritten() < result.pairsEmitted(),
                "combined " + result.pairsEmitted() + " pairs into " + result.recordsWritten() + " records");
        long distinctWords = io.raftkv.mapreduce.app.Words.split(Files.readString(input)).stream().distinct().count();
        assertEquals(distinctWords, result.recordsWritten());
    }

    @Test
    void everyPartitionGetsAFileEvenWhenEmpty() throws Exception {
        MapReduceApp single = new MapReduceApp() {
            @Override
            public List<KeyValue> map(String filename, String contents) {
                return List.of(new KeyValue("only", "1"));
            }

            @Override
            public String reduce(String key, List<String> values) {
                return Integer.toString(values.size());
            }
        };
        Path input = Files.writeString(workDir.resolve("input"), "anything");
        MapTaskRunner.run(single, 0, input, "input", 5, workDir);
        int nonEmpty = 0;
        for (int y = 0; y < 5; y++) {
            try (IntermediateReader reader = new IntermediateReader(JobFiles.intermediate(workDir, 0, y))) {
                if (reader.next()) {
                    nonEmpty++;
                }
            }
        }
        assertEquals(1, nonEmpty);
    }

    @Test
    void reduceValuesComeInMapTaskOrder() throws Exception {
        MapReduceApp app = new MapReduceApp() {
            @Override
            public List<KeyValue> map(String filename, String contents) {
                return List.of(new KeyValue("k", filename + "-1"), new KeyValue("k", filename + "-2"));
            }

            @Override
            public String reduce(String key, List<String> values) {
                return String.join(",", values);
            }
        };
        Path input = Files.writeString(workDir.resolve("input"), "x");
        for (int x = 0; x < 3; x++) {
            MapTaskRunner.run(app, x, input, "m" + x, 1, workDir);
        }
        ReduceTaskRunner.run(app, 0, 3, workDir);
        assertEquals(List.of("k m0-1,m0-2,m1-1,m1-2,m2-1,m2-2"), Files.readAllLines(JobFiles.output(workDir, 0)));
    }

    @Test
    void reduceFailsWhenAMapOutputIsMissing() throws Exception {
        Path input = Samples.texts().get(0);
        MapTaskRunner.run(create("wc"), 0, input, "in", 1, workDir);
        NoSuchFileException e = assertThrows(NoSuchFileException.class,
                () -> ReduceTaskRunner.run(create("wc"), 0, 2, workDir));
        assertTrue(e.getMessage().contains("mr-1-0"), e.getMessage());
        assertTrue(Files.notExists(JobFiles.output(workDir, 0)), "no partial output");
    }

    @Test
    void mapFailsOnAMissingInput() {
        assertThrows(IOException.class,
                () -> MapTaskRunner.run(create("wc"), 0, workDir.resolve("gone.txt"), "gone.txt", 1, workDir));
    }

    private static MapReduceApp create(String name) throws Exception {
        return AppRegistry.create(AppSpec.builtIn(name));
    }
}
