package io.raftkv.kv.client.bench;

import java.time.Duration;

/**
 * One benchmark run.
 *
 * @param clients concurrent clients, each with one operation in flight at a time
 * @param valueSize bytes per value written
 * @param keys how many distinct keys the load touches
 * @param duration the measured phase's time limit
 * @param maxOps the measured phase's operation limit (successful or not), or 0 for none besides the time limit
 * @param warmup how long to run the same load, unmeasured, before measuring; zero for none
 * @param preloadTimeout the time limit for writing every key before a read or mixed run
 * @param operationTimeout how long one operation may take, retries included, before it counts as an error
 * @param keyPrefix what every key starts with, so the benchmark's keys stay apart from other data
 */
public record BenchSettings(Workload workload, int clients, int valueSize, int keys, Duration duration, long maxOps,
        Duration warmup, Duration preloadTimeout, Duration operationTimeout, String keyPrefix, long seed) {

    public BenchSettings {
        if (clients < 1) {
            throw new IllegalArgumentException("clients must be at least 1, not " + clients);
        }
        if (valueSize < 0) {
            throw new IllegalArgumentException("the value size must not be negative: " + valueSize);
        }
        if (keys < 1) {
            throw new IllegalArgumentException("keys must be at least 1, not " + keys);
        }
        if (maxOps < 0) {
            throw new IllegalArgumentException("the operation limit must not be negative: " + maxOps);
        }
        requirePositive(duration, "duration");
        requirePositive(preloadTimeout, "preload timeout");
        requirePositive(operationTimeout, "operation timeout");
        if (warmup == null || warmup.isNegative()) {
            throw new IllegalArgumentException("the warmup must not be negative: " + warmup);
        }
    }

    /** The measured phase's operation limit; without --ops, only the time limit binds. */
    long operationLimit() {
        return maxOps == 0 ? Long.MAX_VALUE : maxOps;
    }

    private static void requirePositive(Duration value, String what) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException("the " + what + " must be positive, not " + value);
        }
    }
}
