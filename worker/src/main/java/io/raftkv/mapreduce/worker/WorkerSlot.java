package io.raftkv.mapreduce.worker;

import io.raftkv.common.io.FileTrees;
import io.raftkv.common.cli.ExitCodes;
import io.raftkv.mapreduce.app.MapReduceApp;
import io.raftkv.mapreduce.task.MapTaskRunner;
import io.raftkv.mapreduce.task.ReduceTaskRunner;
import io.raftkv.mapreduce.io.JobFiles;
import io.raftkv.mapreduce.io.SplitReader;
import io.raftkv.proto.mapreduce.MapTask;
import io.raftkv.proto.mapreduce.OutputChunk;
import io.raftkv.proto.mapreduce.ReduceTask;
import io.raftkv.proto.mapreduce.TaskReply;
import io.raftkv.proto.mapreduce.TaskReport;
import io.raftkv.proto.mapreduce.TaskRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One slot of a worker: ask the coordinator for a task, run it, and report it in the next request, until the
 * coordinator says the job is over. A task that throws is reported as failed so the coordinator can hand it to
 * someone else at once. Everything here is confined to the slot's thread except the shared counters.
 */
final class WorkerSlot {
    private static final Logger log = LoggerFactory.getLogger(WorkerSlot.class);

    private final MapReduceApp app;
    private final String workerId;
    private final CoordinatorClient coordinator;
    private final WorkerMetrics metrics;
    private final AtomicBoolean reached;
    private final AtomicInteger tasksRun;
    private final TaskRequest baseRequest;
    private final LocalStore store;
    private final MapOutputFetcher fetcher;
    private final InputSource inputFrom;

    /**
     * @param baseRequest this worker's id, app and map output address, sent with every request
     * @param inputFrom where to read input splits from (a shared work directory always reads in place)
     */
    WorkerSlot(MapReduceApp app, TaskRequest baseRequest, CoordinatorClient coordinator, WorkerMetrics metrics,
            AtomicBoolean reached, AtomicInteger tasksRun, LocalStore store, InputSource inputFrom) {
        this.app = app;
        this.workerId = baseRequest.getWorkerId();
        this.coordinator = coordinator;
        this.metrics = metrics;
        this.reached = reached;
        this.tasksRun = tasksRun;
        this.baseRequest = baseRequest;
        this.store = store;
        this.fetcher = new MapOutputFetcher(workerId, store, metrics);
        this.inputFrom = inputFrom;
    }

    /** Runs until the job ends; returns the exit code this slot asks for. */
    int run() {
        // The report of the attempt this slot ran last: it rides on the next request, saving a round trip per task.
        TaskReport pending = null;
        // Interrupted: another slot heard the job ended (see Worker#run), so this one stops asking.
        while (!Thread.currentThread().isInterrupted()) {
            TaskRequest request = pending == null ? baseRequest : baseRequest.toBuilder().setReport(pending).build();
            TaskReply reply = coordinator.requestTask(request);
            if (pending != null && !reply.getReportAccepted()) {
                log.info("attempt {} was not needed: another copy finished first or the job moved on",
                        pending.getAttemptId());
            }
            pending = null;
            if (reached.compareAndSet(false, true)) {
                log.info("reached coordinator: job {}, {}", reply.getJobId(), reply.getSharedWorkDir()
                        ? "shared work dir " + reply.getWorkDir()
                        : "map outputs kept in " + store.root() + ", output sent to the coordinator");
            }
            switch (reply.getKindCase()) {
                case MAP -> pending = runMap(reply, reply.getMap());
                case REDUCE -> pending = runReduce(reply, reply.getReduce());
                case WAIT -> sleep(Duration.ofMillis(Math.max(10, reply.getWait().getRetryAfterMs())));
                case DONE -> {
                    log.info("job {} is done", reply.getJobId());
                    return ExitCodes.OK;
                }
                case ABORTED -> {
                    log.error("coordinator aborted job {}: {}", reply.getJobId(), reply.getAborted().getReason());
                    return ExitCodes.FAILURE;
                }
                case KIND_NOT_SET -> throw new IllegalStateException("coordinator sent a task reply with no kind");
            }
        }
        return ExitCodes.OK;
    }

    private TaskReport runMap(TaskReply reply, MapTask task) {
        Path workDir = Path.of(reply.getWorkDir());
        String split = task.getOffset() == 0 && task.getLength() == 0 ? ""
                : ", bytes " + task.getOffset() + ".." + (task.getOffset() + task.getLength());
        String what = "map task " + task.getTask() + " (" + task.getInputName() + split + ", attempt "
                + task.getAttemptId() + ")";
        log.info("starting {}", what);
        long start = System.nanoTime();
        try {
            byte[] input = readSplit(reply, task);
            Path outputDir = reply.getSharedWorkDir() ? workDir : store.jobDir(reply.getJobId());
            MapTaskRunner.Result result = MapTaskRunner.run(app, task.getTask(), input, task.getInputName(),
                    task.getReduces(), outputDir, workDir);
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            log.info("finished {} in {} ms: {} bytes in, {} pairs, {} records written", what, took.toMillis(),
                    result.inputBytes(), result.pairsEmitted(), result.recordsWritten());
            return finished(reply, task.getAttemptId(), "map", took, null);
        } catch (Exception e) {
            return failed(reply, task.getAttemptId(), "map", what, start, e);
        }
    }

    /** The split's lines: from this machine's copy of the input when it has one, else from the coordinator. */
    private byte[] readSplit(TaskReply reply, MapTask task) throws IOException {
        Path input = Path.of(task.getInputPath());
        if (reply.getSharedWorkDir() || inputFrom.readsLocally(input, task.getInputSize())) {
            return SplitReader.read(input, task.getOffset(), task.getLength());
        }
        return coordinator.readInput(reply.getJobId(), task.getTask());
    }

    private TaskReport runReduce(TaskReply reply, ReduceTask task) {
        Path workDir = Path.of(reply.getWorkDir());
        String what = "reduce task " + task.getPartition() + " (attempt " + task.getAttemptId() + ")";
        log.info("starting {}", what);
        long start = System.nanoTime();
        try {
            ReduceTaskRunner.Result result = reply.getSharedWorkDir()
                    ? ReduceTaskRunner.run(app, task.getPartition(), task.getMaps(), workDir)
                    : reduceFetched(reply, task, workDir);
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            log.info("finished {} in {} ms: {} records in, {} keys out", what, took.toMillis(), result.recordsRead(),
                    result.keysWritten());
            return finished(reply, task.getAttemptId(), "reduce", took, null);
        } catch (MapOutputFetcher.UnreachableMapOutputsException e) {
            TaskReport report = failed(reply, task.getAttemptId(), "reduce", what, start, e);
            return report.toBuilder().addAllUnreachable(e.unreachable()).build();
        } catch (Exception e) {
            return failed(reply, task.getAttemptId(), "reduce", what, start, e);
        }
    }

    /**
     * Without a shared directory: fetch partition Y of every map output, merge them into a local mr-out-Y, stream it
     * to the coordinator. The attempt's directory goes away whatever happens, so a retry starts from nothing.
     */
    private ReduceTaskRunner.Result reduceFetched(TaskReply reply, ReduceTask task, Path appDir) throws Exception {
        if (task.getMapOutputsCount() != task.getMaps()) {
            throw new IllegalStateException("the coordinator named " + task.getMapOutputsCount()
                    + " map output locations for " + task.getMaps() + " map tasks");
        }
        Path dir = store.fetchDir(reply.getJobId(), task.getAttemptId());
        try {
            List<Path> inputs = fetcher.fetch(reply.getJobId(), task.getPartition(), task.getMapOutputsList(), dir);
            Path output = JobFiles.output(dir, task.getPartition());
            ReduceTaskRunner.Result result = ReduceTaskRunner.run(app, inputs, output, false, appDir);
            coordinator.uploadOutput(OutputChunk.newBuilder().setJobId(reply.getJobId())
                    .setAttemptId(task.getAttemptId()).setPartition(task.getPartition()).build(), output);
            return result;
        } finally {
            FileTrees.deleteRecursively(dir);
        }
    }

    private TaskReport failed(TaskReply reply, long attemptId, String phase, String what, long start, Exception e) {
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        if (Thread.currentThread().isInterrupted()) {
            log.info("{} stopped after {} ms: the job is over", what, took.toMillis());
        } else {
            log.warn("{} failed after {} ms: {}", what, took.toMillis(), e.toString(), e);
        }
        return finished(reply, attemptId, phase, took, e.toString());
    }

    private TaskReport finished(TaskReply reply, long attemptId, String phase, Duration took, String error) {
        metrics.taskFinished(phase, error == null, took);
        tasksRun.incrementAndGet();
        TaskReport.Builder report = TaskReport.newBuilder()
                .setJobId(reply.getJobId())
                .setWorkerId(workerId)
                .setAttemptId(attemptId)
                .setSuccess(error == null);
        if (error != null) {
            report.setError(error);
        }
        return report.build();
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
