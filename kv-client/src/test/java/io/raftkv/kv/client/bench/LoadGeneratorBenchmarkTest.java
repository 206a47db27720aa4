package io.raftkv.kv.client.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.kv.client.FakeKvNode;
import java.io.PrintStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Prints the load generator's own ceiling, so that a figure measured against a real cluster can be told apart from
 * the generator's limit: reads through the Clerk and real gRPC on loopback to a fake node that answers from memory
 * (no Raft, no disk), with 1, 16 and 256 clients.
 */
@Tag("benchmark")
class LoadGeneratorBenchmarkTest {
    private static final Duration RUN = Duration.ofSeconds(5);
    private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    @Test
    void readsThroughTheClerkToAnInMemoryNode() {
        FakeKvNode.Store store = new FakeKvNode.Store();
        try (FakeKvNode node = new FakeKvNode("n1", "kv1:7001", FakeKvNode.Mode.LEADER, store)) {
            for (int clients : new int[] {1, 16, 256}) {
                BenchSettings settings = new BenchSettings(Workload.READ, clients, 100, 1_000, RUN, 0,
                        Duration.ofSeconds(2), Duration.ofMinutes(2), Duration.ofSeconds(10), "ceiling/", 1);
                try (BenchTarget target = BenchTargets.raftkv(List.of(node.address()), Duration.ofSeconds(10))) {
                    BenchReport report = new Benchmark(target, settings, QUIET).run();
                    assertEquals(0, report.measured().failed(), report::text);
                    assertTrue(report.measured().succeeded() > 0);
                    LatencyHistogram all = report.measured().all();
                    System.out.printf("generator ceiling, gets via Clerk + gRPC to an in-memory node, %3d clients: "
                            + "%,9.0f ops/s  p50 %s ms  p99 %s ms  p999 %s ms%n", clients,
                            report.measured().throughput(), BenchReport.millis(all.percentile(0.5)),
                            BenchReport.millis(all.percentile(0.99)), BenchReport.millis(all.percentile(0.999)));
                }
            }
        }
    }
}
