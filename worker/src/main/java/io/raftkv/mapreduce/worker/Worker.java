package io.raftkv.mapreduce.worker;

import io.raftkv.common.cli.ExitCodes;
import io.raftkv.mapreduce.app.MapReduceApp;
import io.raftkv.mapreduce.task.MapTaskRunner;
import io.raftkv.mapreduce.task.ReduceTaskRunner;
import io.raftkv.proto.mapreduce.MapTask;
import io.raftkv.proto.mapreduce.ReduceTask;
import io.raftkv.proto.mapreduce.ReportReply;
import io.raftkv.proto.mapreduce.TaskReply;
import io.raftkv.proto.mapreduce.TaskReport;
import io.raftkv.proto.mapreduce.TaskRequest;
import java.nio.file.Path;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker loop: ask the coordinator for a task, run it, report, until the coordinator says the job is over. One
 * task at a time; a task that throws is reported as failed so the coordinator can hand it to someone else at once.
 */
final class Worker {
    private static final Logger log = LoggerFactory.getLogger(Worker.class);

    private final MapReduceApp app;
    private final String appId;
    private final String workerId;
    private final CoordinatorClient coordinator;
    private final WorkerMetrics metrics;

    Worker(MapReduceApp app, String appId, String workerId, CoordinatorClient coordinator, WorkerMetrics metrics) {
        this.app = app;
        this.appId = appId;
        this.workerId = workerId;
        this.coordinator = coordinator;
        this.metrics = metrics;
    }

    /** Runs until the job ends; returns the process exit code. */
    int run() {
        TaskRequest request = TaskRequest.newBuilder().setWorkerId(workerId).setApp(appId).build();
        int tasksRun = 0;
        boolean reached = false;
        while (true) {
            TaskReply reply = coordinator.requestTask(request);
            if (!reached) {
                reached = true;
                log.info("reached coordinator: job {}, work dir {}", reply.getJobId(), reply.getWorkDir());
            }
            switch (reply.getKindCase()) {
                case MAP -> {
                    runMap(reply, reply.getMap());
                    tasksRun++;
                }
                case REDUCE -> {
                    runReduce(reply, reply.getReduce());
                    tasksRun++;
                }
                case WAIT -> sleep(Duration.ofMillis(Math.max(10, reply.getWait().getRetryAfterMs())));
                case DONE -> {
                    log.info("job {} is done; this worker ran {} task attempts", reply.getJobId(), tasksRun);
                    return ExitCodes.OK;
                }
                case ABORTED -> {
                    log.error("coordinator aborted job {}: {}", reply.getJobId(), reply.getAborted().getReason());
                    return ExitCodes.FAILURE;
                }
                case KIND_NOT_SET -> throw new IllegalStateException("coordinator sent a task reply with no kind");
            }
        }
    }

    private void runMap(TaskReply reply, MapTask task) {
        Path workDir = Path.of(reply.getWorkDir());
        String what = "map task " + task.getTask() + " (" + task.getInputName() + ", attempt " + task.getAttemptId()
                + ")";
        log.info("starting {}", what);
        long start = System.nanoTime();
        try {
            MapTaskRunner.Result result = MapTaskRunner.run(app, task.getTask(), Path.of(task.getInputPath()),
                    task.getInputName(), task.getReduces(), workDir);
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            log.info("finished {} in {} ms: {} bytes in, {} pairs, {} records written", what, took.toMillis(),
                    result.inputBytes(), result.pairsEmitted(), result.recordsWritten());
            finished(reply, task.getAttemptId(), "map", took, null);
        } catch (Exception e) {
            failed(reply, task.getAttemptId(), "map", what, start, e);
        }
    }

    private void runReduce(TaskReply reply, ReduceTask task) {
        Path workDir = Path.of(reply.getWorkDir());
        String what = "reduce task " + task.getPartition() + " (attempt " + task.getAttemptId() + ")";
        log.info("starting {}", what);
        long start = System.nanoTime();
        try {
            ReduceTaskRunner.Result result = ReduceTaskRunner.run(app, task.getPartition(), task.getMaps(), workDir);
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            log.info("finished {} in {} ms: {} records in, {} keys out", what, took.toMillis(), result.recordsRead(),
                    result.keysWritten());
            finished(reply, task.getAttemptId(), "reduce", took, null);
        } catch (Exception e) {
            failed(reply, task.getAttemptId(), "reduce", what, start, e);
        }
    }

    private void failed(TaskReply reply, long attemptId, String phase, String what, long start, Exception e) {
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        log.warn("{} failed after {} ms: {}", what, took.toMillis(), e.toString(), e);
        finished(reply, attemptId, phase, took, e.toString());
    }

    private void finished(TaskReply reply, long attemptId, String phase, Duration took, String error) {
        metrics.taskFinished(phase, error == null, took);
        TaskReport.Builder report = TaskReport.newBuilder()
                .setJobId(reply.getJobId())
                .setWorkerId(workerId)
                .setAttemptId(attemptId)
                .setSuccess(error == null);
        if (error != null) {
            report.setError(error);
        }
        ReportReply answer = coordinator.report(report.build());
        if (!answer.getAccepted()) {
            log.info("attempt {} was not needed: another copy finished first or the job moved on", attemptId);
        }
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
