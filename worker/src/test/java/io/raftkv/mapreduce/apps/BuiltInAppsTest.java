package io.raftkv.mapreduce.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.mapreduce.app.AppContext;
import io.raftkv.mapreduce.app.KeyValue;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BuiltInAppsTest {
    @TempDir
    Path dir;

    @Test
    void wordCountCountsLetterRunsAndItsCombinerAgreesWithReduce() {
        WordCount wc = new WordCount();
        assertEquals(List.of(new KeyValue("a", "1"), new KeyValue("b", "1"), new KeyValue("a", "1")),
                wc.map("f", "a, b; a!"));
        assertEquals("3", wc.reduce("a", List.of("1", "1", "1")));
        String combined = wc.combiner().orElseThrow().combine("a", List.of("1", "1"));
        assertEquals("3", wc.reduce("a", List.of(combined, "1")));
    }

    @Test
    void indexerListsEachDocumentOnceSorted() {
        Indexer indexer = new Indexer();
        assertEquals(List.of(new KeyValue("to", "d1"), new KeyValue("be", "d1"), new KeyValue("or", "d1"),
                new KeyValue("not", "d1")), indexer.map("d1", "to be or not to be"));
        assertEquals("3 a.txt,b.txt,c.txt", indexer.reduce("to", List.of("c.txt", "a.txt", "b.txt")));
    }

    @Test
    void earlyExitCountsFilesAndSleepsOnlyForItsSlowKeys() {
        EarlyExit app = new EarlyExit();
        assertEquals(List.of(new KeyValue("x.txt", "1")), app.map("x.txt", "whatever"));
        long start = System.nanoTime();
        assertEquals("2", app.reduce("fast.txt", List.of("1", "1")));
        assertTrue(System.nanoTime() - start < 2_000_000_000L, "a key without sherlock or tom does not sleep");
    }

    @Test
    void nocrashReportsNamesAndByteLengths() {
        Crash app = Crash.reliable();
        assertEquals(List.of(new KeyValue("a", "ü.txt"), new KeyValue("b", "6"), new KeyValue("c", "3"),
                new KeyValue("d", "xyzzy")), app.map("ü.txt", "é!"));
        assertEquals("1 2 3", app.reduce("b", List.of("3", "1", "2")));
    }

    @Test
    void jobCountCountsEveryMapInvocationInTheWorkDir() throws Exception {
        Files.writeString(dir.resolve("mr-worker-jobcount-1-0"), "x"); // left by another worker
        JobCount app = new JobCount();
        app.setUp(new AppContext(dir));
        assertEquals(List.of(new KeyValue("a", "x")), app.map("a", ""));
        assertEquals("2", app.reduce("a", List.of("x", "x")));
    }

    @Test
    void mapTimingSeesItselfAndCleansUp() throws Exception {
        MapTiming app = new MapTiming();
        app.setUp(new AppContext(dir));
        long pid = ProcessHandle.current().pid();
        List<KeyValue> pairs = app.map("in", "");
        assertEquals("times-" + pid, pairs.get(0).key());
        assertTrue(pairs.get(0).value().matches("\\d+\\.\\d"), pairs.get(0).value());
        assertEquals(new KeyValue("parallel-" + pid, "1"), pairs.get(1));
        assertEquals(0, markers(), "the marker file is removed");
    }

    @Test
    void reduceTimingCountsLiveWorkersOnly() throws Exception {
        // A marker left by a process that no longer exists must not count.
        Files.writeString(dir.resolve("mr-worker-reduce-" + deadPid()), "x");
        ReduceTiming app = new ReduceTiming();
        app.setUp(new AppContext(dir));
        assertEquals(10, app.map("in", "").size());
        assertEquals("1", app.reduce("a", List.of("1")));
    }

    private long markers() throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().startsWith("mr-worker-")).count();
        }
    }

    private static long deadPid() throws Exception {
        Process process = new ProcessBuilder("true").start();
        process.waitFor();
        return process.pid();
    }
}
