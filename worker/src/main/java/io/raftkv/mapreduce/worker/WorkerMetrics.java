package io.raftkv.mapreduce.worker;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/** What a worker reports on /metrics: tasks run by phase and outcome, and how long they took. */
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
}
