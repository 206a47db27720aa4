package io.raftkv.raft.sim;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Where simulated nodes keep their snapshot files: one directory per node under a root that lives as long as the JVM,
 * in memory ({@code /dev/shm}) where the machine has it, so an fsync costs nothing and runs stay fast.
 */
final class SimDisks {
    private static final AtomicLong NEXT = new AtomicLong();
    private static final Path ROOT = createRoot();

    private SimDisks() {}

    /** A fresh, empty directory for one node's snapshot files. */
    static Path newNodeDirectory(String nodeId) {
        return ROOT.resolve(NEXT.incrementAndGet() + "-" + nodeId);
    }

    private static Path createRoot() {
        Path shm = Path.of("/dev/shm");
        try {
            Path root = Files.isDirectory(shm) && Files.isWritable(shm)
                    ? Files.createTempDirectory(shm, "raftkv-sim-") : Files.createTempDirectory("raftkv-sim-");
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(root), "raftkv-sim-cleanup"));
            return root;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the simulator's snapshot directory", e);
        }
    }

    private static void deleteTree(Path root) {
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort at exit
        }
    }
}
