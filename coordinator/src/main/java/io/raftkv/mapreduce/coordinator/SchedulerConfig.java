package io.raftkv.mapreduce.coordinator;

import java.time.Duration;

/**
 * How the scheduler treats slow and failing tasks.
 *
 * @param taskTimeout      an attempt not reported within this time is presumed lost and its task goes back to the
 *                         queue
 * @param backupTasks      whether to start backup copies of stragglers near the end of a phase
 * @param backupSlowdown   a running attempt is a straggler once it has run this many times the median time of the
 *                         phase's finished tasks ...
 * @param backupMinRuntime ... and at least this long, so fast phases do not spawn copies over noise
 * @param maxTaskFailures  a task whose attempts fail (report an error) this many times aborts the job
 */
record SchedulerConfig(Duration taskTimeout, boolean backupTasks, double backupSlowdown, Duration backupMinRuntime,
        int maxTaskFailures) {

    static final double DEFAULT_BACKUP_SLOWDOWN = 3.0;
    static final Duration DEFAULT_BACKUP_MIN_RUNTIME = Duration.ofSeconds(1);

    SchedulerConfig {
        if (taskTimeout.isNegative() || taskTimeout.isZero()) {
            throw new IllegalArgumentException("task timeout must be positive");
        }
        if (backupSlowdown < 1.0) {
            throw new IllegalArgumentException("backup slowdown must be at least 1");
        }
        if (maxTaskFailures < 1) {
            throw new IllegalArgumentException("max task failures must be at least 1");
        }
    }

    static SchedulerConfig of(Duration taskTimeout, boolean backupTasks, int maxTaskFailures) {
        return new SchedulerConfig(taskTimeout, backupTasks, DEFAULT_BACKUP_SLOWDOWN, DEFAULT_BACKUP_MIN_RUNTIME,
                maxTaskFailures);
    }
}
