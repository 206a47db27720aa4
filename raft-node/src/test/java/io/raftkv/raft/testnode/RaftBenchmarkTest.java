package io.raftkv.raft.testnode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.raft.testnode.proto.BenchReply;
import io.raftkv.raft.testnode.proto.BenchRequest;
import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Throughput and commit latency of a three-node cluster of separate processes on loopback, with fsync on: 100-byte
 * proposals from 1, 16 and 256 closed-loop proposers running inside the leader's process (each proposes, waits until
 * its entry is applied on the leader, and proposes again). Prints figures; asserts only that proposals completed.
 *
 * <p>Columns: throughput; latency percentiles of propose-to-applied-on-the-leader; the leader's mean
 * propose-to-commit time; its mean synced write (WriteBatch + fsync) time; entries per synced write (group commit);
 * commands per {@code StateMachine.apply} call (apply batching).
 *
 * <p>Run with {@code ./mvnw -B -o -Pbenchmark -pl raft-node verify -Dtest=RaftBenchmarkTest}. Other processes on
 * the machine skew the figures: the load average is printed with them.
 */
@Tag("benchmark")
class RaftBenchmarkTest {
    private static final int PAYLOAD = 100;

    @TempDir
    Path dir;

    @Test
    void proposalsPerSecondAndCommitLatency() throws Exception {
        int seconds = Integer.getInteger("raftkv.bench.seconds", 10);
        try (ProcessCluster cluster = new ProcessCluster(dir, 3, List.of("--max-raft-state", "67108864",
                "--async-persist", System.getProperty("raftkv.bench.asyncPersist", "false")))
                .jvmArgs(jvmArgs()).fullJit()) {
            cluster.startAll();
            String leader = cluster.awaitLeader(Duration.ofSeconds(30));
            // Warm up every code path (JIT) before measuring.
            run(cluster, leader, 64, 0, 5000);
            System.out.printf("%nraft-node benchmark: 3 node processes on loopback, fsync on, %d-byte proposals,"
                    + " %d s per run, %d cores, async persist %s%n", PAYLOAD, seconds,
                    Runtime.getRuntime().availableProcessors(), System.getProperty("raftkv.bench.asyncPersist", "false"));
            System.out.printf("%-10s %12s %9s %9s %9s %9s %12s %10s %9s %9s  %s%n", "proposers", "proposals/s",
                    "p50 ms", "p90 ms", "p99 ms", "max ms", "commit ms", "fsync ms", "per fsync", "per apply",
                    "load avg");
            for (String n : System.getProperty("raftkv.bench.proposers", "1,16,256").split(",")) {
                int proposers = Integer.parseInt(n.trim());
                double load = loadAverage();
                BenchReply r = run(cluster, leader, proposers, 2000, seconds * 1000);
                assertEquals("", r.getError());
                assertTrue(r.getCompleted() > 0, "proposals completed");
                System.out.printf("%-10d %12.0f %9.3f %9.3f %9.3f %9.2f %12.3f %10.3f %9.1f %9.1f  %.2f -> %.2f%n",
                        proposers, r.getCompleted() / r.getSeconds(), r.getP50Ms(), r.getP90Ms(), r.getP99Ms(),
                        r.getMaxMs(), r.getCommitMeanMs(), r.getFsyncMeanMs(), r.getEntriesPerFsync(),
                        r.getCommandsPerApply(), load, loadAverage());
            }
            cluster.terminateAll();
        }
    }

    /** Node JVM options; -Draftkv.bench.jvmArgs adds more (e.g. a JFR recording for profiling). */
    private static String[] jvmArgs() {
        List<String> args = new java.util.ArrayList<>(List.of("-Xmx512m", "-Xms512m"));
        String extra = System.getProperty("raftkv.bench.jvmArgs", "");
        if (!extra.isBlank()) {
            args.addAll(List.of(extra.trim().split("\\s+")));
        }
        return args.toArray(String[]::new);
    }

    private static BenchReply run(ProcessCluster cluster, String leader, int proposers, int warmupMs,
            int durationMs) {
        return cluster.client(leader, Duration.ofMillis(warmupMs + durationMs + 60_000)).bench(
                BenchRequest.newBuilder().setProposers(proposers).setPayloadBytes(PAYLOAD).setWarmupMs(warmupMs)
                        .setDurationMs(durationMs).build());
    }

    private static double loadAverage() {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        return os.getSystemLoadAverage();
    }
}
