package io.raftkv.deploy;

import io.raftkv.common.client.ClientOptions;
import io.raftkv.kv.client.KvClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Measures each shard's availability on its own: one thread per shard reads a key of that shard every
 * {@link #INTERVAL} with a short timeout and notes when a read succeeded. A client that runs operations one after
 * another stalls on a shard that cannot answer, which would hide whether the other shards were served; these
 * threads do not wait on one another. Bounded in time by {@link #MAX_RUN}.
 */
final class ShardProbe implements AutoCloseable {
    private static final Duration INTERVAL = Duration.ofMillis(200);
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(1);
    private static final Duration MAX_RUN = Duration.ofMinutes(10);

    private final KvClient client;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<Thread> threads = new ArrayList<>();
    /** Per shard, the System.nanoTime() of every successful read. */
    private final List<List<Long>> successes = new ArrayList<>();

    private ShardProbe(KvClient client) {
        this.client = client;
    }

    /** Starts probing every shard of {@code cluster}. */
    static ShardProbe start(ShardedCluster cluster) {
        ShardProbe probe = new ShardProbe(cluster.client(ClientOptions.DEFAULT.withTimeout(READ_TIMEOUT)
                .withAttemptTimeout(Duration.ofMillis(500))));
        List<String> keys = cluster.keysInDistinctShards("probe", cluster.shards());
        String[] byShard = new String[cluster.shards()];
        keys.forEach(key -> byShard[cluster.shardOf(key)] = key);
        long deadline = System.nanoTime() + MAX_RUN.toNanos();
        for (int shard = 0; shard < byShard.length; shard++) {
            List<Long> times = new CopyOnWriteArrayList<>();
            probe.successes.add(times);
            String key = byShard[shard];
            probe.threads.add(Thread.ofPlatform().daemon().name("probe-shard-" + shard).start(() -> {
                while (!probe.stop.get() && System.nanoTime() < deadline) {
                    try {
                        probe.client.get(key);
                        times.add(System.nanoTime());
                    } catch (RuntimeException e) {
                        // Unavailable or timed out: no success to note.
                    }
                    try {
                        Thread.sleep(INTERVAL);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }));
        }
        return probe;
    }

    /** For each shard, the longest stretch of [from, to] (System.nanoTime) with no successful read. */
    List<Duration> longestGaps(long from, long to) {
        List<Duration> gaps = new ArrayList<>();
        for (List<Long> times : successes) {
            long previous = from;
            long longest = 0;
            for (long time : times) {
                if (time < from || time > to) {
                    continue;
                }
                longest = Math.max(longest, time - previous);
                previous = time;
            }
            gaps.add(Duration.ofNanos(Math.max(longest, to - previous)));
        }
        return gaps;
    }

    @Override
    public void close() {
        stop.set(true);
        for (Thread thread : threads) {
            try {
                thread.join(READ_TIMEOUT.multipliedBy(3));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        client.close();
    }
}
