package io.raftkv.kv.server;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raftkv.common.cli.HostPort;
import io.raftkv.common.client.ClientOptions;
import io.raftkv.common.grpc.GrpcServer;
import io.raftkv.kv.client.Clerk;
import io.raftkv.kv.client.GetResult;
import io.raftkv.kv.plain.PlainKvRules;
import io.raftkv.kv.state.Feeder;
import io.raftkv.kv.state.KvStateMachine;
import io.raftkv.proto.kv.KvCommand;
import io.raftkv.raft.api.SnapshotSource;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Prints what the KV server's own parts cost, without Raft: applying commands to the RocksDB state machine, capturing
 * and restoring snapshots, and a Clerk's sequential writes through the gRPC service to a one-node stand-in for Raft.
 */
@Tag("benchmark")
class KvServerBenchmarkTest {
    @TempDir
    Path dir;

    @Test
    void applyThroughputByBatchSize() throws IOException {
        byte[] value = new byte[100];
        for (int batchSize : new int[] {1, 10, 100, 1_000}) {
            int total = batchSize == 1 ? 50_000 : 200_000;
            try (KvStateMachine machine = PlainKvRules.openState(dir.resolve("apply-" + batchSize),
                    KvStateMachine.DEFAULT_SESSION_TTL)) {
                Feeder feed = new Feeder(machine);
                long start = System.nanoTime();
                for (int done = 0; done < total; done += batchSize) {
                    byte[][] batch = new byte[batchSize][];
                    for (int i = 0; i < batchSize; i++) {
                        int n = done + i;
                        batch[i] = Feeder.command(1 + n % 64, 1 + n / 64, KvCommand.Op.PUT,
                                Feeder.bytes("key-" + n % 50_000), value, 1_000);
                    }
                    feed.apply(batch);
                }
                double seconds = (System.nanoTime() - start) / 1e9;
                System.out.printf("apply: %,d puts of 100 B in batches of %,d: %,.0f commands/s%n", total, batchSize,
                        total / seconds);
            }
        }
    }

    @Test
    void snapshotCaptureStreamAndRestore() throws IOException {
        int keys = 200_000;
        Random random = new Random(1);
        try (KvStateMachine source = PlainKvRules.openState(dir.resolve("source"), KvStateMachine.DEFAULT_SESSION_TTL);
                KvStateMachine target = PlainKvRules.openState(dir.resolve("target"),
                        KvStateMachine.DEFAULT_SESSION_TTL)) {
            Feeder feed = new Feeder(source);
            for (int done = 0; done < keys; done += 1_000) {
                byte[][] batch = new byte[1_000][];
                for (int i = 0; i < batch.length; i++) {
                    byte[] value = new byte[100];
                    random.nextBytes(value);
                    batch[i] = Feeder.command(1 + i, 1 + done / 1_000, KvCommand.Op.PUT,
                            Feeder.bytes("key-" + (done + i)), value, 1_000);
                }
                feed.apply(batch);
            }
            Path archive = dir.resolve("snapshot.bin");
            long start = System.nanoTime();
            try (SnapshotSource capture = source.captureSnapshot()) {
                long captured = System.nanoTime();
                try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(archive))) {
                    capture.writeTo(out);
                }
                long written = System.nanoTime();
                long size = Files.size(archive);
                try (InputStream in = Files.newInputStream(archive)) {
                    target.restoreSnapshot(capture.index(), 1, in);
                }
                long restored = System.nanoTime();
                System.out.printf("snapshot of %,d keys (%,.1f MB archive): capture %.0f ms, write %.0f ms "
                        + "(%.0f MB/s), restore %.0f ms (%.0f MB/s)%n", keys, size / 1e6,
                        (captured - start) / 1e6, (written - captured) / 1e6, size / 1e6 / ((written - captured) / 1e9),
                        (restored - written) / 1e6, size / 1e6 / ((restored - written) / 1e9));
            }
            assertArrayEquals(source.get(Feeder.bytes("key-12345")), target.get(Feeder.bytes("key-12345")));
        }
    }

    @Test
    void sequentialAppendsThroughTheClerkAndService() throws Exception {
        ExecutorService executor = Executors.newCachedThreadPool();
        try (KvStateMachine machine = PlainKvRules.openState(dir.resolve("service"), KvStateMachine.DEFAULT_SESSION_TTL);
                SingleNodeRaft raft = new SingleNodeRaft(machine, "n1", "");
                GrpcServer server = GrpcServer.builder("127.0.0.1", 0).addService(new KvService(raft, machine,
                        new NodeIdentity("n1", ""), KvLimits.DEFAULT, Duration.ofSeconds(5), Clock.systemUTC(),
                        executor, new SimpleMeterRegistry())).start();
                Clerk clerk = Clerk.connect(List.of(new HostPort("127.0.0.1", server.port())),
                        ClientOptions.DEFAULT)) {
            for (int i = 0; i < 500; i++) {
                clerk.append("warm-up", "x");
            }
            int count = 1_000;
            long start = System.nanoTime();
            for (int i = 0; i < count; i++) {
                clerk.append("k", "x");
            }
            double perOpMicros = (System.nanoTime() - start) / 1e3 / count;
            long readStart = System.nanoTime();
            for (int i = 0; i < count; i++) {
                clerk.get("k");
            }
            double perReadMicros = (System.nanoTime() - readStart) / 1e3 / count;
            assertEquals(count, ((GetResult.Found) clerk.get("k")).value().length);
            System.out.printf("clerk -> gRPC -> service -> one-node stand-in Raft -> RocksDB: %,d sequential appends "
                    + "at %.0f us each, %,d sequential gets at %.0f us each%n", count, perOpMicros, count,
                    perReadMicros);
        } finally {
            executor.shutdownNow();
        }
    }
}
