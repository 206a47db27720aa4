package io.raftkv.mapreduce.coordinator;

import io.raftkv.common.json.JsonWriter;
import io.raftkv.common.status.StatusPage;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * The coordinator's status page: the job's phase, each phase's progress, the counts of re-assignments, backups,
 * failures and lost outputs, and every task with its state, workers, attempts and run time (the page sorts out the
 * slowest).
 */
final class CoordinatorStatus implements StatusPage {
    private static final String HTML = StatusPage.load(CoordinatorStatus.class, "coordinator-status.html");

    private final Job job;
    private final Scheduler scheduler;
    private final LongSupplier clock;

    CoordinatorStatus(Job job, Scheduler scheduler, LongSupplier clock) {
        this.job = job;
        this.scheduler = scheduler;
        this.clock = clock;
    }

    @Override
    public String html() {
        return HTML;
    }

    @Override
    public String json() {
        long now = clock.getAsLong();
        return json(job.id(), job.appId(), scheduler.snapshot(now), scheduler.taskViews(now));
    }

    static String json(String jobId, String app, JobSnapshot s, List<Scheduler.TaskView> tasks) {
        String phase = s.abortReason() != null ? "aborted" : s.done() ? "done"
                : s.mapsDone() < s.maps() ? "map" : "reduce";
        JsonWriter json = new JsonWriter().beginObject().field("job", jobId).field("app", app).field("phase", phase);
        if (s.abortReason() != null) {
            json.field("abort_reason", s.abortReason());
        }
        json.name("map").beginObject().field("total", s.maps()).field("idle", s.mapsIdle())
                .field("running", s.mapsRunning()).field("done", s.mapsDone()).endObject();
        json.name("reduce").beginObject().field("total", s.reduces()).field("idle", s.reducesIdle())
                .field("running", s.reducesRunning()).field("done", s.reducesDone()).endObject();
        json.field("reassignments", s.reassignments()).field("backups", s.backups()).field("failures", s.failures())
                .field("timeouts", s.timeouts()).field("lost_map_outputs", s.lostMapOutputs());
        json.name("tasks").beginArray();
        for (Scheduler.TaskView task : tasks) {
            json.beginObject().field("phase", task.id().phase().label()).field("index", task.id().index())
                    .field("state", task.state()).name("workers").beginArray();
            task.workers().forEach(json::value);
            json.endArray().field("attempts", task.attempts()).field("failures", task.failures())
                    .field("duration_ms", task.durationNanos() / 1_000_000).field("backup", task.backupRunning())
                    .field("reruns", task.reruns()).endObject();
        }
        return json.endArray().endObject().toString();
    }
}
