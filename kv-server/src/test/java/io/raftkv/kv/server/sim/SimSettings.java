package io.raftkv.kv.server.sim;

import io.raftkv.raft.sim.SimNode;
import io.raftkv.raft.sim.Simulation;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.LongStream;
import java.util.stream.Stream;

/**
 * The seeds of the KV scenarios, where their data goes, and their one-line reports. The default build runs a few
 * seeds with a bounded {@link Workload} (each node runs real RocksDB I/O); the soak variants run the lab's workload
 * over more seeds. System properties change them:
 *
 * <ul>
 *   <li>{@code -Draftkv.kvsim.seed=N} runs seed N only (to reproduce a failure: its message names the seed);
 *   <li>{@code -Draftkv.kvsim.seeds=K} runs K seeds from {@code raftkv.kvsim.firstSeed} (default 1);
 *       {@code -Draftkv.kvsim.soakSeeds=K} the soak variants' count;
 *   <li>{@code -Draftkv.kvsim.dir=D} keeps the nodes' RocksDB directories under D (default: java.io.tmpdir).
 * </ul>
 */
final class SimSettings {
    private static final int DEFAULT_SEEDS = 2;
    private static final int DEFAULT_SOAK_SEEDS = 20;

    private SimSettings() {}

    /** The seeds a default-build scenario runs. */
    static Stream<Long> seeds() {
        return seeds(Integer.getInteger("raftkv.kvsim.seeds", DEFAULT_SEEDS));
    }

    /** The seeds a soak scenario runs. */
    static Stream<Long> soakSeeds() {
        return seeds(Integer.getInteger("raftkv.kvsim.soakSeeds", DEFAULT_SOAK_SEEDS));
    }

    private static Stream<Long> seeds(int count) {
        Long single = Long.getLong("raftkv.kvsim.seed");
        if (single != null) {
            return Stream.of(single);
        }
        long first = Long.getLong("raftkv.kvsim.firstSeed", 1);
        return LongStream.range(first, first + count).boxed();
    }

    /** Where the clusters keep their nodes' RocksDB directories. */
    static Path dataDirectory() {
        return Path.of(System.getProperty("raftkv.kvsim.dir", System.getProperty("java.io.tmpdir")));
    }

    /** How long a clerk tries one operation before its outcome is unknown (the real Clerk's default). */
    static long clerkTimeoutMicros() {
        return KvSimCluster.CLERK_OPTIONS.timeout().toNanos() / 1_000;
    }

    /** Prints what a run did, for the test report (and for tuning the workload sizes). */
    static void report(String scenario, long seed, KvSimCluster cluster, long startedNanos) {
        SimHistory history = cluster.history();
        System.out.printf("[kvsim] %s seed %d: %d operations completed, %d writes of unknown outcome, "
                        + "%d client requests (%d requests or replies lost), "
                        + "%d snapshots sent, largest Raft state %d bytes, largest snapshot %d bytes, %.1f s virtual, "
                        + "%d steps, %d ms%n",
                scenario, seed, history.completed(), history.unknownWrites(), cluster.clientNetwork().requests(),
                cluster.clientNetwork().lost(), cluster.snapshotsSent(),
                cluster.logSize(), cluster.snapshotSize(), cluster.sim().now() / 1e6, cluster.sim().steps(),
                (System.nanoTime() - startedNanos) / 1_000_000);
    }

    /** Stops every node of a finished run (closing its state machine) and deletes the run's directory. */
    static void stopAndDelete(Simulation sim, Path root) {
        try {
            for (SimNode node : sim.nodes()) {
                if (node.isUp()) {
                    sim.crash(node.id());
                }
            }
        } finally {
            deleteRecursively(root);
        }
    }

    /** Deletes a run's directory and everything in it. */
    static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir, e);
        }
    }
}
