package io.raftkv.kv.state;

import static io.raftkv.kv.state.Feeder.bytes;
import static io.raftkv.kv.state.Feeder.put;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.kv.plain.PlainKvRules;
import io.raftkv.raft.api.SnapshotSource;
import io.raftkv.testkit.Eventually;
import io.raftkv.testkit.JvmProcess;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Installs a snapshot in a separate JVM and kills it with SIGKILL at each step of the swap: the next open must find
 * either the whole old state (before the swap commits) or the whole new one (after), never a mix or an error.
 */
class SnapshotSwapCrashTest {
    private static final Duration TTL = Duration.ofHours(1);

    /** The child: opens the state, starts installing the snapshot, and freezes at the step named. */
    public static final class RestoreUntil {
        public static void main(String[] args) throws Exception {
            Path dir = Path.of(args[0]);
            Path archive = Path.of(args[1]);
            long index = Long.parseLong(args[2]);
            RestoreStep stopAt = RestoreStep.valueOf(args[3]);
            try (KvStateMachine machine = PlainKvRules.openState(dir, TTL, step -> {
                        if (step == stopAt) {
                            System.out.println("reached " + step);
                            System.out.flush();
                            try {
                                Thread.sleep(Long.MAX_VALUE);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        }
                    });
                    InputStream in = Files.newInputStream(archive)) {
                machine.restoreSnapshot(index, 1, in);
            }
            System.out.println("finished");
        }
    }

    @TempDir
    Path dir;

    @Test
    void aCrashAtAnyStepLeavesTheOldOrTheNewState() throws Exception {
        Path original = dir.resolve("original");
        try (KvStateMachine machine = PlainKvRules.openState(original, TTL)) {
            new Feeder(machine).apply(put(1, 1, "k", "old", 1), put(1, 2, "only-old", "x", 1));
        }
        Path archive = dir.resolve("snapshot.bin");
        long newIndex;
        try (KvStateMachine source = PlainKvRules.openState(dir.resolve("source"), TTL)) {
            Feeder feed = new Feeder(source);
            for (int i = 0; i < 50; i++) {
                feed.apply(put(2, i + 1, "k", "new" + i, 1));
            }
            newIndex = source.appliedIndex();
            try (SnapshotSource capture = source.captureSnapshot(); OutputStream out = Files.newOutputStream(archive)) {
                capture.writeTo(out);
            }
        }

        for (RestoreStep step : RestoreStep.values()) {
            Path copy = dir.resolve("crash-at-" + step);
            copyTree(original, copy);
            try (JvmProcess child = JvmProcess.builder(RestoreUntil.class).name("restore-" + step)
                    .args(copy.toString(), archive.toString(), Long.toString(newIndex), step.name())
                    .log(dir.resolve(step + ".log")).start()) {
                Eventually.await("the restore to reach " + step, Duration.ofSeconds(60),
                        () -> child.output().contains("reached " + step) || !child.isAlive());
                assertTrue(child.isAlive(), () -> "the child exited early:\n" + child.output());
                child.kill();
            }
            boolean committed = step.compareTo(RestoreStep.COMMITTED) >= 0;
            try (KvStateMachine machine = PlainKvRules.openState(copy, TTL)) {
                if (committed) {
                    assertEquals(newIndex, machine.appliedIndex(), "after " + step);
                    assertArrayEquals(bytes("new49"), machine.get(bytes("k")), "after " + step);
                    assertEquals(null, machine.get(bytes("only-old")));
                } else {
                    assertEquals(2, machine.appliedIndex(), "after " + step);
                    assertArrayEquals(bytes("old"), machine.get(bytes("k")), "after " + step);
                    assertArrayEquals(bytes("x"), machine.get(bytes("only-old")));
                }
            }
            try (Stream<Path> entries = Files.list(copy)) {
                assertEquals(1, entries.filter(p -> p.getFileName().toString().startsWith("state-")
                        || p.getFileName().toString().startsWith("incoming-")).count(),
                        "the leftovers of the interrupted swap are gone after " + step);
            }
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path path : (Iterable<Path>) paths::iterator) {
                Path target = to.resolve(from.relativize(path).toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(path, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }
}
