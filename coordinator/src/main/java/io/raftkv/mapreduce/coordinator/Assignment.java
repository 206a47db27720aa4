package io.raftkv.mapreduce.coordinator;

import java.time.Duration;
import java.util.List;

/** The scheduler's answer to a worker asking for work, plus what it noticed on the way (for logging). */
record Assignment(Kind kind, TaskId task, long attemptId, Reason reason, Duration stragglerRuntime,
        Duration typicalRuntime, String abortReason, List<TimedOut> timedOut) {

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

    static Assignment run(TaskId task, long attemptId, Reason reason, List<TimedOut> timedOut) {
        return new Assignment(Kind.RUN, task, attemptId, reason, null, null, null, timedOut);
    }

    static Assignment backup(TaskId task, long attemptId, Duration stragglerRuntime, Duration typicalRuntime,
            List<TimedOut> timedOut) {
        return new Assignment(Kind.RUN, task, attemptId, Reason.BACKUP, stragglerRuntime, typicalRuntime, null,
                timedOut);
    }

    static Assignment waitForWork(List<TimedOut> timedOut) {
        return new Assignment(Kind.WAIT, null, 0, null, null, null, null, timedOut);
    }

    static Assignment done(List<TimedOut> timedOut) {
        return new Assignment(Kind.DONE, null, 0, null, null, null, null, timedOut);
    }

    static Assignment aborted(String reason) {
        return new Assignment(Kind.ABORTED, null, 0, null, null, null, reason, List.of());
    }
}
