package io.raftkv.mapreduce.coordinator;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.function.ToDoubleFunction;

/**
 * The coordinator's metrics: tasks by phase and state ({@code mr_tasks}), re-assignments, backup copies, failed and
 * timed-out attempts, superseded reports, and task durations. Counts are read from scheduler snapshots when
 * scraped.
 */
final class CoordinatorMetrics {
    private final Map<Phase, Timer> durations = new EnumMap<>(Phase.class);

    CoordinatorMetrics(MeterRegistry registry, Scheduler scheduler, LongSupplier clock) {
        for (Phase phase : Phase.values()) {
            taskGauge(registry, scheduler, clock, phase, "idle", s -> s.idle(phase));
            taskGauge(registry, scheduler, clock, phase, "in_progress", s -> s.running(phase));
            taskGauge(registry, scheduler, clock, phase, "done", s -> s.finished(phase));
            durations.put(phase, Timer.builder("mr.task.duration")
                    .description("Time from hand-out to successful report of the attempt that completed a task")
                    .tag("phase", phase.label())
                    .register(registry));
        }
        counter(registry, scheduler, clock, "mr.task.reassignments",
                "Tasks handed out again after an attempt timed out or failed", JobSnapshot::reassignments);
        counter(registry, scheduler, clock, "mr.task.backups",
                "Backup copies started for stragglers near the end of a phase", JobSnapshot::backups);
        counter(registry, scheduler, clock, "mr.task.failures", "Attempts reported as failed by workers",
                JobSnapshot::failures);
        counter(registry, scheduler, clock, "mr.task.timeouts", "Attempts written off after the task timeout",
                JobSnapshot::timeouts);
        counter(registry, scheduler, clock, "mr.task.superseded.reports",
                "Reports for tasks another copy had already completed", JobSnapshot::superseded);
        counter(registry, scheduler, clock, "mr.map.outputs.lost",
                "Completed map tasks run again because a reduce could not fetch their output", JobSnapshot::lostMapOutputs);
        Gauge.builder("mr.job.done", () -> scheduler.snapshot(clock.getAsLong()).done() ? 1 : 0)
                .description("1 once every task of the job is done")
                .register(registry);
    }

    void reported(ReportOutcome outcome) {
        if (outcome.kind() == ReportOutcome.Kind.COMPLETED) {
            durations.get(outcome.task().phase()).record(outcome.runtime());
        }
    }

    private static void taskGauge(MeterRegistry registry, Scheduler scheduler, LongSupplier clock, Phase phase,
            String state, ToDoubleFunction<JobSnapshot> count) {
        Gauge.builder("mr.tasks", () -> count.applyAsDouble(scheduler.snapshot(clock.getAsLong())))
                .description("Tasks of the job by phase and state")
                .tag("phase", phase.label())
                .tag("state", state)
                .register(registry);
    }

    private static void counter(MeterRegistry registry, Scheduler scheduler, LongSupplier clock, String name,
            String description, ToDoubleFunction<JobSnapshot> count) {
        FunctionCounter.builder(name, scheduler, s -> count.applyAsDouble(s.snapshot(clock.getAsLong())))
                .description(description)
                .register(registry);
    }
}
