package io.raftkv.kv.server.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.common.client.ClientOptions;
import io.raftkv.common.shardctrler.ControllerClerk;
import io.raftkv.common.shardctrler.KeyShards;
import io.raftkv.kv.client.Clerk;
import io.raftkv.kv.client.GetResult;
import io.raftkv.kv.client.KvUnavailableException;
import io.raftkv.kv.client.NodeReport;
import io.raftkv.kv.client.ShardedClerk;
import io.raftkv.kv.main.ShardCtrlerMain;
import io.raftkv.proto.kv.ShardState;
import io.raftkv.proto.kv.ShardStatus;
import io.raftkv.testkit.Eventually;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Moving one shard of 100 MB between two replica groups of three real processes each: how long the move takes
 * (from the controller's Move to the new owner serving it, and to the old owner having deleted it), in MB/s, and how
 * long the moving shard and an unaffected shard went without a successful read meanwhile (two readers in a loop).
 * Prints figures; asserts only that every byte arrived and nothing stayed behind.
 */
@Tag("benchmark")
class ShardMoveBenchmarkTest {
    private static final int SHARDS = 10;
    private static final int VALUE_BYTES = 256 * 1024;
    private static final int KEYS = 400; // 100 MiB
    private static final ClientOptions PATIENT = ClientOptions.DEFAULT.withTimeout(Duration.ofSeconds(60));

    @TempDir
    Path dir;

    @Test
    void moveOneHundredMegabyteShard() throws Exception {
        try (KvProcessCluster controller = new KvProcessCluster(dir.resolve("ctrl"), ShardCtrlerMain.class,
                List.of("--shards", Integer.toString(SHARDS)))) {
            controller.startAll();
            controller.awaitLeaderByMetrics("shardctrler", Duration.ofSeconds(60));
            String spec = controller.clusterSpec();
            try (KvProcessCluster g100 = group(100, spec);
                    KvProcessCluster g200 = group(200, spec);
                    ControllerClerk admin = new ControllerClerk(controller.addresses(), PATIENT);
                    ShardedClerk clerk = ShardedClerk.connect(controller.addresses(), PATIENT)) {
                g100.startAll();
                g200.startAll();
                admin.join(Map.of(100L, g100.addresses(), 200L, g200.addresses()));
                for (int shard = 0; shard < SHARDS; shard++) {
                    admin.move(shard, 100);
                }
                int moving = 0;
                String movingKey = keyOf(moving, "probe-moving");
                String stillKey = keyOf(5, "probe-still");
                clerk.put(movingKey, "m");
                clerk.put(stillKey, "s");

                long loadStart = System.nanoTime();
                byte[] value = new byte[VALUE_BYTES];
                Arrays.fill(value, (byte) 'v');
                List<String> keys = new ArrayList<>();
                for (int i = 0; keys.size() < KEYS; i++) {
                    String key = "big-" + i;
                    if (KeyShards.shardOf(key.getBytes(StandardCharsets.UTF_8), SHARDS) == moving) {
                        keys.add(key);
                    }
                }
                ExecutorService writers = Executors.newFixedThreadPool(8);
                List<Future<?>> writes = new ArrayList<>();
                for (String key : keys) {
                    writes.add(writers.submit(() -> clerk.put(key.getBytes(StandardCharsets.UTF_8), value)));
                }
                for (Future<?> write : writes) {
                    write.get();
                }
                writers.shutdown();
                double loadSeconds = (System.nanoTime() - loadStart) / 1e9;
                double megabytes = (double) KEYS * VALUE_BYTES / (1 << 20);
                log(String.format("loaded %.0f MiB into shard %d in %.1f s (%.1f MiB/s)", megabytes, moving,
                        loadSeconds, megabytes / loadSeconds));

                AtomicBoolean stop = new AtomicBoolean();
                Probe movingProbe = new Probe(controller, movingKey, stop);
                Probe stillProbe = new Probe(controller, stillKey, stop);
                Thread t1 = new Thread(movingProbe);
                Thread t2 = new Thread(stillProbe);
                t1.start();
                t2.start();
                Thread.sleep(1_000);
                long moveStart = System.nanoTime();
                admin.move(moving, 200);
                Eventually.await("group 200 serves shard " + moving, Duration.ofMinutes(5),
                        () -> allReplicas(g200, moving, ShardState.SERVING, -1));
                double served = (System.nanoTime() - moveStart) / 1e9;
                Eventually.await("group 100 deleted shard " + moving, Duration.ofMinutes(5),
                        () -> allReplicas(g100, moving, ShardState.NOT_OWNED, 0));
                double deleted = (System.nanoTime() - moveStart) / 1e9;
                Thread.sleep(1_000);
                stop.set(true);
                t1.join();
                t2.join();
                log(String.format("moved %.0f MiB: served by the new owner after %.1f s (%.1f MiB/s), deleted at"
                        + " the old owner after %.1f s", megabytes, served, megabytes / served, deleted));
                log(String.format("longest gap between successful reads: moving shard %.0f ms (%d reads), an"
                        + " unaffected shard %.0f ms (%d reads)", movingProbe.longestGapMillis(),
                        movingProbe.reads(), stillProbe.longestGapMillis(), stillProbe.reads()));
                for (String key : List.of(keys.get(0), keys.get(KEYS - 1))) {
                    GetResult result = clerk.get(key.getBytes(StandardCharsets.UTF_8));
                    assertTrue(result instanceof GetResult.Found found && found.value().length == VALUE_BYTES, key);
                }
                assertEquals(0, movingProbe.failures() + stillProbe.failures(), "a probe read failed outright");
            }
        }
    }

    /** Whether every replica of {@code group} has shard {@code shard} in {@code state} (and {@code keys}, if >= 0). */
    private static boolean allReplicas(KvProcessCluster group, int shard, ShardState state, long keys) {
        try (Clerk clerk = Clerk.connect(group.addresses(), PATIENT.withAttemptTimeout(Duration.ofSeconds(5)))) {
            for (NodeReport report : clerk.status()) {
                if (!report.reachable() || report.status().getShardsCount() <= shard) {
                    return false;
                }
                ShardStatus status = report.status().getShards(shard);
                if (status.getState() != state || (keys >= 0 && status.getKeys() != keys)) {
                    return false;
                }
            }
            return true;
        }
    }

    private static String keyOf(int shard, String prefix) {
        for (int i = 0; ; i++) {
            String key = prefix + "-" + i;
            if (KeyShards.shardOf(key.getBytes(StandardCharsets.UTF_8), SHARDS) == shard) {
                return key;
            }
        }
    }

    private KvProcessCluster group(long gid, String controllerSpec) {
        return new KvProcessCluster(dir.resolve("g" + gid),
                List.of("--group", Long.toString(gid), "--controller", controllerSpec));
    }

    /** Reads one key in a loop and keeps the longest time between two successful reads. */
    private static final class Probe implements Runnable {
        private final ShardedClerk clerk;
        private final String key;
        private final AtomicBoolean stop;
        private long longestGapNanos;
        private int reads;
        private int failures;

        Probe(KvProcessCluster controller, String key, AtomicBoolean stop) {
            this.clerk = ShardedClerk.connect(controller.addresses(), PATIENT);
            this.key = key;
            this.stop = stop;
        }

        @Override
        public void run() {
            long last = System.nanoTime();
            try (clerk) {
                while (!stop.get()) {
                    try {
                        clerk.get(key);
                        long now = System.nanoTime();
                        longestGapNanos = Math.max(longestGapNanos, now - last);
                        last = now;
                        reads++;
                        Thread.sleep(5);
                    } catch (KvUnavailableException e) {
                        failures++;
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        }

        double longestGapMillis() {
            return longestGapNanos / 1e6;
        }

        int reads() {
            return reads;
        }

        int failures() {
            return failures;
        }
    }

    private static void log(String message) {
        System.out.println("[ShardMoveBenchmark] " + message);
        System.out.flush();
    }
}
