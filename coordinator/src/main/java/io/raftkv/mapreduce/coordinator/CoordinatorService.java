package io.raftkv.mapreduce.coordinator;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.raftkv.proto.mapreduce.CoordinatorGrpc;
import io.raftkv.proto.mapreduce.DataChunk;
import io.raftkv.proto.mapreduce.JobAborted;
import io.raftkv.proto.mapreduce.JobDone;
import io.raftkv.proto.mapreduce.MapOutputLocation;
import io.raftkv.proto.mapreduce.MapTask;
import io.raftkv.proto.mapreduce.OutputChunk;
import io.raftkv.proto.mapreduce.ReadInputRequest;
import io.raftkv.proto.mapreduce.ReduceTask;
import io.raftkv.proto.mapreduce.ReportReply;
import io.raftkv.proto.mapreduce.TaskReply;
import io.raftkv.proto.mapreduce.TaskReport;
import io.raftkv.proto.mapreduce.TaskRequest;
import io.raftkv.proto.mapreduce.Wait;
import io.raftkv.proto.mapreduce.WriteOutputReply;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The coordinator's gRPC face: turns requests into scheduler calls and scheduler decisions into replies. Logging
 * and metrics happen here, after the scheduler's monitor has been released.
 */
final class CoordinatorService extends CoordinatorGrpc.CoordinatorImplBase {
    private static final Logger log = LoggerFactory.getLogger(CoordinatorService.class);
    static final int WAIT_MILLIS = 100;

    private final Job job;
    private final Scheduler scheduler;
    private final LongSupplier clock;
    private final CoordinatorMetrics metrics;
    private final WorkerAddresses workerAddresses = new WorkerAddresses();
    private final JobDataService data;

    CoordinatorService(Job job, Scheduler scheduler, LongSupplier clock, CoordinatorMetrics metrics) {
        this.job = job;
        this.scheduler = scheduler;
        this.clock = clock;
        this.metrics = metrics;
        this.data = new JobDataService(job);
    }

    @Override
    public void requestTask(TaskRequest request, StreamObserver<TaskReply> responses) {
        if (request.getWorkerId().isEmpty()) {
            responses.onError(Status.INVALID_ARGUMENT.withDescription("worker_id is empty").asRuntimeException());
            return;
        }
        if (!request.getApp().equals(job.appId())) {
            responses.onError(Status.FAILED_PRECONDITION
                    .withDescription("this job runs app " + job.appId() + " but the worker runs " + request.getApp())
                    .asRuntimeException());
            return;
        }
        workerAddresses.record(request.getWorkerId(), request.getShuffleHost(), request.getShufflePort(),
                PeerAddress.current());
        // The report first: a success may finish the map phase and so decide what this request gets.
        boolean accepted = request.hasReport() && report(request.getReport());
        Assignment assignment = scheduler.assign(request.getWorkerId(), clock.getAsLong());
        logAssignment(request.getWorkerId(), assignment);
        responses.onNext(reply(assignment).setReportAccepted(accepted).build());
        responses.onCompleted();
    }

    /** For workers that report separately (before report-in-request); current workers do not call it. */
    @Override
    public void reportTask(TaskReport report, StreamObserver<ReportReply> responses) {
        responses.onNext(ReportReply.newBuilder().setAccepted(report(report)).build());
        responses.onCompleted();
    }

    /** Applies a report; true when it decided the task's fate. */
    private boolean report(TaskReport report) {
        if (!report.getJobId().equals(job.id())) {
            log.warn("ignoring a report from worker {} for job {} (this is job {})", report.getWorkerId(),
                    report.getJobId(), job.id());
            return false;
        }
        List<Scheduler.LostOutput> unreachable = new ArrayList<>(report.getUnreachableCount());
        for (MapOutputLocation location : report.getUnreachableList()) {
            unreachable.add(new Scheduler.LostOutput(location.getMapTask(), location.getWorkerId()));
        }
        ReportOutcome outcome = scheduler.report(report.getAttemptId(), report.getSuccess(), report.getError(),
                unreachable, clock.getAsLong());
        logReport(outcome);
        metrics.reported(outcome);
        return outcome.accepted();
    }

    /** Serves a map task's input split to a worker that has no copy of the input file. */
    @Override
    public void readInput(ReadInputRequest request, StreamObserver<DataChunk> responses) {
        data.readInput(request, responses);
    }

    /** Stores a reduce task's output, streamed by a worker that shares no directory with the coordinator. */
    @Override
    public StreamObserver<OutputChunk> writeOutput(StreamObserver<WriteOutputReply> responses) {
        return data.writeOutput(responses);
    }

    private TaskReply.Builder reply(Assignment assignment) {
        TaskReply.Builder reply = TaskReply.newBuilder()
                .setJobId(job.id())
                .setWorkDir(job.workDir().toString())
                .setSharedWorkDir(job.sharedWorkDir());
        switch (assignment.kind()) {
            case RUN -> {
                TaskId task = assignment.task();
                if (task.phase() == Phase.MAP) {
                    Job.Split split = job.splits().get(task.index());
                    reply.setMap(MapTask.newBuilder()
                            .setAttemptId(assignment.attemptId())
                            .setTask(task.index())
                            .setInputPath(split.path().toString())
                            .setInputName(split.name())
                            .setOffset(split.offset())
                            .setLength(split.length())
                            .setInputSize(split.fileSize())
                            .setReduces(job.reduces()));
                } else {
                    ReduceTask.Builder reduce = ReduceTask.newBuilder()
                            .setAttemptId(assignment.attemptId())
                            .setPartition(task.index())
                            .setMaps(job.splits().size());
                    if (!job.sharedWorkDir()) {
                        reduce.addAllMapOutputs(workerAddresses.locations(assignment.mapOutputWorkers()));
                    }
                    reply.setReduce(reduce);
                }
            }
            case WAIT -> reply.setWait(Wait.newBuilder().setRetryAfterMs(WAIT_MILLIS));
            case DONE -> reply.setDone(JobDone.newBuilder().setReduces(job.reduces()));
            case ABORTED -> reply.setAborted(JobAborted.newBuilder().setReason(assignment.abortReason()));
        }
        return reply;
    }

    private static void logAssignment(String workerId, Assignment assignment) {
        for (Assignment.TimedOut lost : assignment.timedOut()) {
            log.warn("{} attempt {} on worker {} was not reported in time; {}", lost.task(), lost.attemptId(),
                    lost.workerId(), lost.taskBackInQueue() ? "the task goes back to the queue"
                            : "another copy is still running");
        }
        if (assignment.kind() != Assignment.Kind.RUN) {
            return;
        }
        switch (assignment.reason()) {
            case FIRST -> log.debug("{} to worker {} (attempt {})", assignment.task(), workerId,
                    assignment.attemptId());
            case REASSIGNED -> log.info("re-assigning {} to worker {} (attempt {})", assignment.task(), workerId,
                    assignment.attemptId());
            case BACKUP -> log.info("backup copy of {} to worker {} (attempt {}): the running copy has taken {} ms,"
                    + " a typical task {} ms", assignment.task(), workerId, assignment.attemptId(),
                    assignment.stragglerRuntime().toMillis(), assignment.typicalRuntime().toMillis());
        }
    }

    private static void logReport(ReportOutcome outcome) {
        switch (outcome.kind()) {
            case COMPLETED -> {
                if (outcome.backup()) {
                    log.info("{} completed first by its backup copy (attempt {} on worker {}, {} ms)",
                            outcome.task(), outcome.attemptId(), outcome.workerId(), outcome.runtime().toMillis());
                } else {
                    log.debug("{} completed by worker {} (attempt {}, {} ms)", outcome.task(), outcome.workerId(),
                            outcome.attemptId(), outcome.runtime().toMillis());
                }
            }
            case SUPERSEDED -> log.debug("{} attempt {} on worker {} finished after the task was already done",
                    outcome.task(), outcome.attemptId(), outcome.workerId());
            case MAP_OUTPUTS_LOST -> log.warn("{} attempt {} on worker {}: {}", outcome.task(), outcome.attemptId(),
                    outcome.workerId(), outcome.detail());
            case FAILED -> log.warn("{} attempt {} on worker {} failed: {}", outcome.task(), outcome.attemptId(),
                    outcome.workerId(), outcome.detail());
            case ABORTED_JOB -> log.error("aborting the job: {}", outcome.detail());
            case UNKNOWN -> log.warn("report for unknown attempt {}", outcome.attemptId());
        }
    }
}
