package io.raftkv.mapreduce.coordinator;

import java.time.Duration;
import java.util.List;

/**
 * The scheduler's answer to a worker asking for work, plus what it noticed on the way (for logging).
 *
 * @param mapOutputWorkers for a reduce task: the worker that completed each map task (where its output lives), taken
 *                         in the same step as the hand-out so it matches the map phase the reduce starts from
 */
record Assignment(Kind kind, TaskId task, long attemptId, Reason reason, Duration stragglerRuntime,
        Duration typicalRuntime, String abortReason, List<String> mapOutputWorkers, List<TimedOut> timedOut) {

    enum Kind {
        /** Run {@link #task()} as attempt {@link #attemptId()}. */
        RUN,
        /** Nothing to hand out now; ask again shortly. */
        WAIT,
        /** The job is complete. */
        DONE,
        /** The job failed for good; {@link #abortReason()} says why. */
        ABORTED
    }

    /** Why a task is handed out. */
    enum Reason {
        /** Its first attempt. */
        FIRST,
        /** An earlier attempt timed out or failed. */
        REASSIGNED,
        /** A second copy of a straggler that is still running. */
        BACKUP
    }

    /** An attempt that exceeded the task timeout and was written off when this request came in. */
    record TimedOut(TaskId task, long attemptId, String workerId, boolean taskBackInQueue) {}

    static Assignment run(TaskId task, long attemptId, Reason reason, List<String> mapOutputWorkers,
            List<TimedOut> timedOut) {
        return new Assignment(Kind.RUN, task, attemptId, reason, null, null, null, mapOutputWorkers, timedOut);
    }

    static Assignment backup(TaskId task, long attemptId, Duration stragglerRuntime, Duration typicalRuntime,
            List<String> mapOutputWorkers, List<TimedOut> timedOut) {
        return new Assignment(Kind.RUN, task, attemptId, Reason.BACKUP, stragglerRuntime, typicalRuntime, null,
                mapOutputWorkers, timedOut);
    }

    static Assignment waitForWork(List<TimedOut> timedOut) {
        return new Assignment(Kind.WAIT, null, 0, null, null, null, null, List.of(), timedOut);
    }

    static Assignment done(List<TimedOut> timedOut) {
        return new Assignment(Kind.DONE, null, 0, null, null, null, null, List.of(), timedOut);
    }

    static Assignment aborted(String reason) {
        return new Assignment(Kind.ABORTED, null, 0, null, null, null, reason, List.of(), List.of());
    }
}
