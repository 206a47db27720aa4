package io.raftkv.mapreduce.coordinator;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Decides which task each worker runs. It is the coordinator's only mutable job state, guarded by its own monitor;
 * its methods do no I/O and take the current time as an argument (so tests drive it with a fake clock), and they
 * return what happened instead of logging it.
 *
 * <p>Rules: map tasks first, reduce tasks only once every map task is done; an idle task goes to the first worker
 * that asks (lowest index first); an attempt not reported within the task timeout is written off and its task is
 * handed out again; when a phase has no idle task left, an idle worker gets a backup copy of a straggler (an attempt
 * running well beyond the phase's median task time); the first reported success completes a task and later reports
 * for it change nothing; a task that fails too often aborts the job. Without a shared directory a map task's output
 * lives on the worker that completed it: when a reduce attempt reports that it could not fetch some map outputs,
 * exactly those map tasks go back to the queue (the job returns to the map phase until they are done again), and the
 * reduce attempt's failure is not held against its task.
 */
final class Scheduler {
    /**
     * When the job ends, the coordinator waits (briefly) to tell the end to the workers it expects to hear from: those
     * seen this recently, and those still running an attempt.
     */
    static final Duration RECENT_WORKER = Duration.ofSeconds(1);

    private final SchedulerConfig config;
    private final Map<Phase, List<Task>> tasks = new LinkedHashMap<>();
    private final Map<Phase, List<Long>> finishedRuntimes = new HashMap<>();
    private final Map<Long, Attempt> attempts = new HashMap<>();
    private final Map<String, Long> lastSeen = new HashMap<>();
    private final Set<String> toldEnd = new HashSet<>();
    private long nextAttemptId = 1;
    private long reassignments;
    private long backups;
    private long failures;
    private long timeouts;
    private long superseded;
    private long lostMapOutputs;
    private String abortReason;

    Scheduler(int maps, int reduces, SchedulerConfig config) {
        if (maps < 1 || reduces < 1) {
            throw new IllegalArgumentException("a job needs at least one map and one reduce task");
        }
        this.config = config;
        tasks.put(Phase.MAP, newTasks(Phase.MAP, maps));
        tasks.put(Phase.REDUCE, newTasks(Phase.REDUCE, reduces));
        finishedRuntimes.put(Phase.MAP, new ArrayList<>());
        finishedRuntimes.put(Phase.REDUCE, new ArrayList<>());
    }

    private static List<Task> newTasks(Phase phase, int count) {
        List<Task> list = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            list.add(new Task(new TaskId(phase, i)));
        }
        return List.copyOf(list);
    }

    /** A worker asks for work at time {@code now} (nanoseconds on any monotonic clock). */
    synchronized Assignment assign(String workerId, long now) {
        lastSeen.put(workerId, now);
        if (abortReason != null) {
            toldEnd.add(workerId);
            return Assignment.aborted(abortReason);
        }
        Phase phase = currentPhase();
        if (phase == null) {
            toldEnd.add(workerId);
            return Assignment.done(List.of());
        }
        List<Assignment.TimedOut> timedOut = expireOverdue(phase, now);
        for (Task task : tasks.get(phase)) {
            if (task.state == TaskState.IDLE) {
                Assignment.Reason reason = task.attemptsStarted == 0
                        ? Assignment.Reason.FIRST
                        : Assignment.Reason.REASSIGNED;
                if (reason == Assignment.Reason.REASSIGNED) {
                    reassignments++;
                }
                Attempt attempt = start(task, workerId, now, false);
                return Assignment.run(task.id, attempt.id, reason, mapOutputWorkers(phase), timedOut);
            }
        }
        if (config.backupTasks()) {
            Assignment backup = backupCopy(phase, workerId, now, timedOut);
            if (backup != null) {
                return backup;
            }
        }
        return Assignment.waitForWork(timedOut);
    }

    /**
     * A worker reports how attempt {@code attemptId} ended.
     *
     * @param error why it failed (ignored on success)
     */
    synchronized ReportOutcome report(long attemptId, boolean success, String error, long now) {
        return report(attemptId, success, error, List.of(), now);
    }

    /**
     * A worker reports how attempt {@code attemptId} ended; a failed reduce attempt may name the map outputs it could
     * not fetch.
     *
     * @param unreachable map outputs a failed reduce attempt could not fetch, each with the worker it tried
     */
    synchronized ReportOutcome report(long attemptId, boolean success, String error, List<LostOutput> unreachable,
            long now) {
        Attempt attempt = attempts.get(attemptId);
        if (attempt == null) {
            return new ReportOutcome(ReportOutcome.Kind.UNKNOWN, null, attemptId, null, Duration.ZERO, false, null);
        }
        lastSeen.put(attempt.workerId, now);
        Task task = attempt.task;
        Duration runtime = Duration.ofNanos(now - attempt.startedAt);
        if (attempt.reported || task.state == TaskState.DONE) {
            attempt.reported = true;
            superseded++;
            return outcome(ReportOutcome.Kind.SUPERSEDED, attempt, runtime, null);
        }
        attempt.reported = true;
        task.running.remove(attempt);
        if (success) {
            // A late report from an attempt that was written off still counts: its files are complete.
            task.state = TaskState.DONE;
            task.running.clear();
            task.completedBy = attempt.workerId;
            task.doneRuntimeNanos = runtime.toNanos();
            finishedRuntimes.get(task.id.phase()).add(runtime.toNanos());
            return outcome(ReportOutcome.Kind.COMPLETED, attempt, runtime, null);
        }
        if (task.id.phase() == Phase.REDUCE && !unreachable.isEmpty()) {
            // Not the reduce's fault: its input is gone. Run the lost map tasks again, then the reduce.
            List<Integer> rerun = invalidate(unreachable);
            if (task.running.isEmpty()) {
                task.state = TaskState.IDLE;
            }
            return outcome(ReportOutcome.Kind.MAP_OUTPUTS_LOST, attempt, runtime,
                    "map output(s) unreachable, re-running map task(s) " + rerun + ": " + error);
        }
        failures++;
        task.failures++;
        if (task.failures >= config.maxTaskFailures()) {
            abortReason = task.id + " failed " + task.failures + " times; last error: " + error;
            return outcome(ReportOutcome.Kind.ABORTED_JOB, attempt, runtime, abortReason);
        }
        if (task.running.isEmpty()) {
            task.state = TaskState.IDLE;
        }
        return outcome(ReportOutcome.Kind.FAILED, attempt, runtime, error);
    }

    /** A map output a reduce attempt could not fetch: map task X, as completed by the given worker. */
    record LostOutput(int mapTask, String workerId) {}

    /**
     * Sends back to the queue the map tasks whose outputs were lost, unless they have been re-run (or are being
     * re-run) since, which other reports of the same loss find; returns the ones sent back by this call.
     */
    private List<Integer> invalidate(List<LostOutput> lost) {
        List<Integer> rerun = new ArrayList<>();
        List<Task> maps = tasks.get(Phase.MAP);
        for (LostOutput output : lost) {
            if (output.mapTask() < 0 || output.mapTask() >= maps.size()) {
                continue;
            }
            Task map = maps.get(output.mapTask());
            if (map.state == TaskState.DONE && output.workerId().equals(map.completedBy)) {
                map.state = TaskState.IDLE;
                map.completedBy = null;
                map.reruns++;
                lostMapOutputs++;
                rerun.add(output.mapTask());
            }
        }
        return rerun;
    }

    synchronized JobSnapshot snapshot(long now) {
        int[] map = count(Phase.MAP);
        int[] reduce = count(Phase.REDUCE);
        boolean done = currentPhase() == null;
        int awaiting = 0;
        if (done || abortReason != null) {
            Set<String> expected = new HashSet<>();
            for (Map.Entry<String, Long> seen : lastSeen.entrySet()) {
                if (now - seen.getValue() < RECENT_WORKER.toNanos()) {
                    expected.add(seen.getKey());
                }
            }
            // A worker still running a copy that lost the race will report and ask again when it finishes.
            for (Attempt attempt : attempts.values()) {
                if (!attempt.reported && !attempt.expired) {
                    expected.add(attempt.workerId);
                }
            }
            // A worker told the end stops all its slots, so it will not ask again.
            expected.removeAll(toldEnd);
            awaiting = expected.size();
        }
        return new JobSnapshot(
                tasks.get(Phase.MAP).size(), map[0], map[1], map[2],
                tasks.get(Phase.REDUCE).size(), reduce[0], reduce[1], reduce[2],
                reassignments, backups, failures, timeouts, superseded, lostMapOutputs, done, abortReason, awaiting);
    }

    /**
     * Every task as the status page shows it: its state, the workers running it (or the one that completed it), how
     * many attempts it had, how long it has run (or took), whether a backup copy runs, and how often it was re-run
     * because its output was lost.
     */
    synchronized List<TaskView> taskViews(long now) {
        List<TaskView> views = new ArrayList<>();
        for (List<Task> phase : tasks.values()) {
            for (Task task : phase) {
                List<String> workers = new ArrayList<>();
                long duration = 0;
                boolean backup = false;
                if (task.state == TaskState.DONE) {
                    workers.add(task.completedBy);
                    duration = task.doneRuntimeNanos;
                } else {
                    for (Attempt attempt : task.running) {
                        workers.add(attempt.workerId);
                        duration = Math.max(duration, now - attempt.startedAt);
                        backup |= attempt.backup;
                    }
                }
                views.add(new TaskView(task.id, task.state.name().toLowerCase(Locale.ROOT), workers,
                        task.attemptsStarted, task.failures, duration, backup, task.reruns));
            }
        }
        return views;
    }

    /** One task for the status page (see {@link #taskViews}). */
    record TaskView(TaskId id, String state, List<String> workers, int attempts, int failures, long durationNanos,
            boolean backupRunning, int reruns) {}

    private int[] count(Phase phase) {
        int[] counts = new int[3];
        for (Task task : tasks.get(phase)) {
            counts[task.state.ordinal()]++;
        }
        return counts;
    }

    /** The phase that still has unfinished tasks, or null when the job is done. */
    private Phase currentPhase() {
        for (Map.Entry<Phase, List<Task>> phase : tasks.entrySet()) {
            for (Task task : phase.getValue()) {
                if (task.state != TaskState.DONE) {
                    return phase.getKey();
                }
            }
        }
        return null;
    }

    private List<Assignment.TimedOut> expireOverdue(Phase phase, long now) {
        List<Assignment.TimedOut> expired = new ArrayList<>();
        long timeout = config.taskTimeout().toNanos();
        for (Task task : tasks.get(phase)) {
            if (task.state != TaskState.RUNNING) {
                continue;
            }
            for (Attempt attempt : List.copyOf(task.running)) {
                if (now - attempt.startedAt >= timeout) {
                    attempt.expired = true;
                    task.running.remove(attempt);
                    timeouts++;
                    if (task.running.isEmpty()) {
                        task.state = TaskState.IDLE;
                    }
                    expired.add(new Assignment.TimedOut(task.id, attempt.id, attempt.workerId,
                            task.state == TaskState.IDLE));
                }
            }
        }
        return expired;
    }

    /**
     * Near the end of a phase (no idle task left), the straggler that has run longest, if it runs well beyond the
     * phase's typical task time and has no copy yet, gets a second copy on this worker.
     */
    private Assignment backupCopy(Phase phase, String workerId, long now, List<Assignment.TimedOut> timedOut) {
        List<Long> finished = finishedRuntimes.get(phase);
        if (finished.isEmpty()) {
            return null;
        }
        long typical = median(finished);
        long threshold = Math.max((long) (typical * config.backupSlowdown()), config.backupMinRuntime().toNanos());
        Task slowest = null;
        long slowestRuntime = 0;
        for (Task task : tasks.get(phase)) {
            if (task.state != TaskState.RUNNING || task.running.size() != 1) {
                continue;
            }
            Attempt only = task.running.get(0);
            long runtime = now - only.startedAt;
            if (!only.workerId.equals(workerId) && runtime >= threshold && runtime > slowestRuntime) {
                slowest = task;
                slowestRuntime = runtime;
            }
        }
        if (slowest == null) {
            return null;
        }
        backups++;
        Attempt attempt = start(slowest, workerId, now, true);
        return Assignment.backup(slowest.id, attempt.id, Duration.ofNanos(slowestRuntime), Duration.ofNanos(typical),
                mapOutputWorkers(phase), timedOut);
    }

    /** For a reduce attempt: the worker holding each map task's output (all are done in the reduce phase). */
    private List<String> mapOutputWorkers(Phase phase) {
        if (phase != Phase.REDUCE) {
            return List.of();
        }
        List<String> workers = new ArrayList<>();
        for (Task map : tasks.get(Phase.MAP)) {
            workers.add(map.completedBy);
        }
        return List.copyOf(workers);
    }

    private static long median(List<Long> values) {
        List<Long> sorted = new ArrayList<>(values);
        sorted.sort(null);
        return sorted.get(sorted.size() / 2);
    }

    private Attempt start(Task task, String workerId, long now, boolean backup) {
        Attempt attempt = new Attempt(nextAttemptId++, task, workerId, now, backup);
        attempts.put(attempt.id, attempt);
        task.running.add(attempt);
        task.state = TaskState.RUNNING;
        task.attemptsStarted++;
        return attempt;
    }

    private static ReportOutcome outcome(ReportOutcome.Kind kind, Attempt attempt, Duration runtime, String detail) {
        return new ReportOutcome(kind, attempt.task.id, attempt.id, attempt.workerId, runtime, attempt.backup,
                detail);
    }

    /** The order matches the counts in {@link #count}: idle, running, done. */
    private enum TaskState {
        IDLE,
        RUNNING,
        DONE
    }

    private static final class Task {
        final TaskId id;
        final List<Attempt> running = new ArrayList<>(2);
        TaskState state = TaskState.IDLE;
        /** The worker whose attempt completed the task: for a map task, where its output lives. */
        String completedBy;
        int attemptsStarted;
        int failures;
        /** Times its output was lost and it went back to the queue. */
        int reruns;
        long doneRuntimeNanos;

        Task(TaskId id) {
            this.id = id;
        }
    }

    private static final class Attempt {
        final long id;
        final Task task;
        final String workerId;
        final long startedAt;
        final boolean backup;
        boolean reported;
        /** Written off after the task timeout (a late success report still counts). */
        boolean expired;

        Attempt(long id, Task task, String workerId, long startedAt, boolean backup) {
            this.id = id;
            this.task = task;
            this.workerId = workerId;
            this.startedAt = startedAt;
            this.backup = backup;
        }
    }
}
