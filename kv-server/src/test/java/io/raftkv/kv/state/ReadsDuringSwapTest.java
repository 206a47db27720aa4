package io.raftkv.kv.state;

import static io.raftkv.kv.state.Feeder.bytes;
import static io.raftkv.kv.state.Feeder.put;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.kv.plain.PlainKvRules;
import io.raftkv.raft.api.SnapshotSource;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Readers on other threads keep reading, correctly and without errors, while snapshots are swapped in under them. */
class ReadsDuringSwapTest {
    private static final Duration TTL = Duration.ofHours(1);
    private static final int KEYS = 200;

    @TempDir
    Path dir;

    private byte[] snapshotWith(String name, String value) throws Exception {
        try (KvStateMachine machine = PlainKvRules.openState(dir.resolve(name), TTL)) {
            Feeder feed = new Feeder(machine);
            byte[][] batch = new byte[KEYS][];
            for (int i = 0; i < KEYS; i++) {
                batch[i] = put(1, i + 1, "k" + i, value, 1);
            }
            feed.apply(batch);
            try (SnapshotSource capture = machine.captureSnapshot()) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                capture.writeTo(out);
                return out.toByteArray();
            }
        }
    }

    @Test
    void readersSeeOneWholeStateOrTheOtherThroughManySwaps() throws Exception {
        byte[] a = snapshotWith("a", "A");
        byte[] b = snapshotWith("b", "B");
        Path targetDir = dir.resolve("target");
        try (KvStateMachine target = PlainKvRules.openState(targetDir, TTL)) {
            target.restoreSnapshot(KEYS, 1, new ByteArrayInputStream(a));
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong reads = new AtomicLong();
            AtomicLong readsOfB = new AtomicLong();
            Queue<String> problems = new ConcurrentLinkedQueue<>();
            List<Thread> readers = new ArrayList<>();
            for (int r = 0; r < 3; r++) {
                Random random = new Random(r);
                readers.add(Thread.ofPlatform().start(() -> {
                    while (!stop.get()) {
                        try {
                            byte[] value = target.get(bytes("k" + random.nextInt(KEYS)));
                            String text = value == null ? "null" : new String(value, StandardCharsets.UTF_8);
                            if (!text.equals("A") && !text.equals("B")) {
                                problems.add("read " + text);
                            }
                            if (text.equals("B")) {
                                readsOfB.incrementAndGet();
                            }
                            reads.incrementAndGet();
                        } catch (RuntimeException e) {
                            problems.add(e.toString());
                        }
                    }
                }));
            }
            // This thread plays the apply thread: swap B, A, B, ... in under the readers.
            for (int swap = 0; swap < 30; swap++) {
                long before = reads.get();
                target.restoreSnapshot(KEYS, 1, new ByteArrayInputStream(swap % 2 == 0 ? b : a));
                long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                while (reads.get() < before + 50 && problems.isEmpty()) {
                    if (System.nanoTime() > deadline) {
                        problems.add("readers stalled: no progress for 10 s after swap " + swap);
                    }
                    Thread.onSpinWait();
                }
            }
            stop.set(true);
            for (Thread reader : readers) {
                reader.join();
            }
            assertEquals(List.of(), List.copyOf(problems));
            assertTrue(readsOfB.get() > 0 && readsOfB.get() < reads.get(), "readers saw both states");
            try (Stream<Path> entries = Files.list(targetDir)) {
                assertEquals(1, entries.filter(p -> p.getFileName().toString().startsWith("state-")).count(),
                        "every replaced state was deleted once its last reader was done");
            }
        }
    }
}
