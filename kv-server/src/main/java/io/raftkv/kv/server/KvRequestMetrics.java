package io.raftkv.kv.server;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;

/**
 * Request counts and latency of the Kv service, as the timer {@code kv.requests} tagged by operation
 * (get/put/append/delete/status) and result (ok, no_key, not_leader, timeout, invalid_argument, error).
 */
final class KvRequestMetrics {
    static final String NAME = "kv.requests";

    private final MeterRegistry registry;
    private final ConcurrentMap<String, Timer> timers = new ConcurrentHashMap<>();

    KvRequestMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Records one request of {@code op} that started at {@code startNanos} ({@link System#nanoTime()}). */
    void record(String op, String result, long startNanos) {
        String tag = result.toLowerCase(Locale.ROOT);
        timers.computeIfAbsent(op + '/' + tag, k -> Timer.builder(NAME)
                        .description("Kv service requests by operation and result")
                        .tag("op", op)
                        .tag("result", tag)
                        .publishPercentileHistogram()
                        .minimumExpectedValue(Duration.ofMillis(1))
                        .maximumExpectedValue(Duration.ofSeconds(30))
                        .register(registry))
                .record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
    }
}
