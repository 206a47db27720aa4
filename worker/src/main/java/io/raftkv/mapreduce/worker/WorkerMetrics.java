package io.raftkv.mapreduce.worker;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/**
 * What a worker reports on /metrics: tasks run by phase and outcome, how long they took, and the map output bytes it
 * fetched and the fetches that failed (the bytes it served are counted by {@link MapOutputService}).
 */
final class WorkerMetrics {
    private final MeterRegistry registry;

    WorkerMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    void taskFinished(String phase, boolean succeeded, Duration took) {
        Counter.builder("mr.worker.tasks")
                .description("Task attempts this worker ran, by phase and outcome")
                .tag("phase", phase)
                .tag("outcome", succeeded ? "succeeded" : "failed")
                .register(registry)
                .increment();
        Timer.builder("mr.worker.task.duration")
                .description("How long this worker's task attempts took")
                .tag("phase", phase)
                .register(registry)
                .record(took);
    }

    void fetched(long bytes, Duration took) {
        Counter.builder("mr.shuffle.fetched.bytes")
                .description("Map output bytes this worker's reduce attempts fetched from other workers")
                .register(registry)
                .increment(bytes);
        Timer.builder("mr.shuffle.fetch.duration")
                .description("How long fetching one map output partition took")
                .register(registry)
                .record(took);
    }

    /** A failed try at fetching one partition: {@code reason} is unreachable, corrupt or error. */
    void fetchFailed(String reason) {
        Counter.builder("mr.shuffle.fetch.failures")
                .description("Failed tries at fetching a map output partition, by reason")
                .tag("reason", reason)
                .register(registry)
                .increment();
    }
}
