package io.raftkv.raft.service;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;

/**
 * Request counts and latency of one gRPC service, as a timer (for example {@code kv.requests}) tagged by operation
 * and result (the reply's error code in lower case: ok, no_key, not_leader, timeout, invalid_argument..., or error for
 * a request answered with a gRPC failure).
 */
public final class RequestMetrics {
    private final MeterRegistry registry;
    private final String name;
    private final String description;
    private final ConcurrentMap<String, Timer> timers = new ConcurrentHashMap<>();

    public RequestMetrics(MeterRegistry registry, String name, String description) {
        this.registry = registry;
        this.name = name;
        this.description = description;
    }

    /** Records one request of {@code op} that started at {@code startNanos} ({@link System#nanoTime()}). */
    public void record(String op, String result, long startNanos) {
        String tag = result.toLowerCase(Locale.ROOT);
        timers.computeIfAbsent(op + '/' + tag, k -> Timer.builder(name)
                        .description(description)
                        .tag("op", op)
                        .tag("result", tag)
                        .publishPercentileHistogram()
                        .minimumExpectedValue(Duration.ofMillis(1))
                        .maximumExpectedValue(Duration.ofSeconds(30))
                        .register(registry))
                .record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
    }
}
