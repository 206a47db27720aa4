package io.raftkv.mapreduce.coordinator;

import java.time.Duration;

/**
 * What a worker's report did.
 *
 * @param task     the reported task (null when the attempt is unknown)
 * @param runtime  how long the attempt ran, from hand-out to report
 * @param workerId the worker that ran the attempt
 * @param backup   whether the attempt was a backup copy of a straggler
 * @param detail   the error of a failed attempt, or why the job was aborted
 */
record ReportOutcome(Kind kind, TaskId task, long attemptId, String workerId, Duration runtime, boolean backup,
        String detail) {

    enum Kind {
        /** The attempt completed its task. */
        COMPLETED,
        /** Another copy had completed the task already (or this report was a repeat); nothing changed. */
        SUPERSEDED,
        /** The attempt failed; the task went back to the queue (or keeps running as another copy). */
        FAILED,
        /**
         * A reduce attempt could not fetch some map outputs: those map tasks run again, the reduce goes back to the
         * queue, and its failure count is unchanged.
         */
        MAP_OUTPUTS_LOST,
        /** The attempt failed once too often for its task: the job is aborted. */
        ABORTED_JOB,
        /** No such attempt in this job. */
        UNKNOWN
    }

    /** Whether the report decided the task's fate. */
    boolean accepted() {
        return kind == Kind.COMPLETED || kind == Kind.FAILED || kind == Kind.MAP_OUTPUTS_LOST
                || kind == Kind.ABORTED_JOB;
    }
}
