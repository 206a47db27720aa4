package io.raftkv.mapreduce.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The scheduling rules, driven by a fake clock. */
class SchedulerTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private static long at(double seconds) {
        return (long) (seconds * 1e9);
    }

    private static Scheduler scheduler(int maps, int reduces) {
        return new Scheduler(maps, reduces, SchedulerConfig.of(TIMEOUT, true, 3));
    }

    private static void assertRuns(Assignment a, Phase phase, int index, Assignment.Reason reason) {
        assertEquals(Assignment.Kind.RUN, a.kind(), a.toString());
        assertEquals(new TaskId(phase, index), a.task());
        assertEquals(reason, a.reason());
    }

    @Test
    void mapsFirstThenReducesThenDone() {
        Scheduler s = scheduler(2, 2);
        Assignment m0 = s.assign("w1", at(0));
        Assignment m1 = s.assign("w2", at(0));
        assertRuns(m0, Phase.MAP, 0, Assignment.Reason.FIRST);
        assertRuns(m1, Phase.MAP, 1, Assignment.Reason.FIRST);
        assertEquals(Assignment.Kind.WAIT, s.assign("w3", at(0.1)).kind());

        assertEquals(ReportOutcome.Kind.COMPLETED, s.report(m0.attemptId(), true, "", at(1)).kind());
        // One map is still running: no reduce may start yet.
        assertEquals(Assignment.Kind.WAIT, s.assign("w1", at(1.1)).kind());
        assertEquals(ReportOutcome.Kind.COMPLETED, s.report(m1.attemptId(), true, "", at(1.2)).kind());

        Assignment r0 = s.assign("w1", at(1.3));
        Assignment r1 = s.assign("w2", at(1.3));
        assertRuns(r0, Phase.REDUCE, 0, Assignment.Reason.FIRST);
        assertRuns(r1, Phase.REDUCE, 1, Assignment.Reason.FIRST);
        s.report(r0.attemptId(), true, "", at(2));
        assertFalse(s.snapshot(at(2)).done());
        s.report(r1.attemptId(), true, "", at(2));

        JobSnapshot end = s.snapshot(at(2));
        assertTrue(end.done());
        assertEquals(2, end.mapsDone());
        assertEquals(2, end.reducesDone());
        assertEquals(0, end.reassignments() + end.backups() + end.failures() + end.timeouts());
        assertEquals(Assignment.Kind.DONE, s.assign("w1", at(2.1)).kind());
    }

    @Test
    void aReduceThatCannotFetchMapOutputsSendsExactlyThoseMapsBackWithoutCountingAFailure() {
        Scheduler s = new Scheduler(2, 1, SchedulerConfig.of(TIMEOUT, false, 1));
        Assignment m0 = s.assign("w1", at(0));
        Assignment m1 = s.assign("w2", at(0));
        s.report(m0.attemptId(), true, "", at(1));
        s.report(m1.attemptId(), true, "", at(1));
        Assignment r0 = s.assign("w3", at(2));
        assertRuns(r0, Phase.REDUCE, 0, Assignment.Reason.FIRST);
        assertEquals(List.of("w1", "w2"), r0.mapOutputWorkers());

        // w1 stopped answering: only map 0 runs again, and the reduce waits for it.
        ReportOutcome lost = s.report(r0.attemptId(), false, "w1 unreachable",
                List.of(new Scheduler.LostOutput(0, "w1")), at(3));
        assertEquals(ReportOutcome.Kind.MAP_OUTPUTS_LOST, lost.kind());
        Assignment again = s.assign("w3", at(3));
        assertRuns(again, Phase.MAP, 0, Assignment.Reason.REASSIGNED);
        assertEquals(Assignment.Kind.WAIT, s.assign("w2", at(3)).kind());
        // The same report again (a retried call) sends nothing back twice.
        assertNotEquals(ReportOutcome.Kind.MAP_OUTPUTS_LOST, s.report(r0.attemptId(), false, "again",
                List.of(new Scheduler.LostOutput(0, "w1")), at(3.1)).kind());

        s.report(again.attemptId(), true, "", at(4));
        Assignment retry = s.assign("w2", at(4));
        assertRuns(retry, Phase.REDUCE, 0, Assignment.Reason.REASSIGNED);
        assertEquals(List.of("w3", "w2"), retry.mapOutputWorkers(), "map 0's output now lives on w3");
        // A loss reported against the old holder of map 0 is stale: w3's copy stands.
        assertEquals(ReportOutcome.Kind.MAP_OUTPUTS_LOST, s.report(retry.attemptId(), false, "stale",
                List.of(new Scheduler.LostOutput(0, "w1")), at(5)).kind());
        Assignment third = s.assign("w2", at(5));
        assertRuns(third, Phase.REDUCE, 0, Assignment.Reason.REASSIGNED);
        s.report(third.attemptId(), true, "", at(6));
        JobSnapshot end = s.snapshot(at(6));
        assertTrue(end.done(), "max task failures is 1, yet the lost outputs did not abort the job");
        assertEquals(1, end.lostMapOutputs());
        assertEquals(0, end.failures());
    }

    @Test
    void anAttemptNotReportedInTimeIsHandedToAnotherWorker() {
        Scheduler s = scheduler(1, 1);
        Assignment first = s.assign("w1", at(0));
        assertEquals(Assignment.Kind.WAIT, s.assign("w2", at(9.9)).kind());

        Assignment again = s.assign("w2", at(10));
        assertRuns(again, Phase.MAP, 0, Assignment.Reason.REASSIGNED);
        assertNotEquals(first.attemptId(), again.attemptId());
        assertEquals(List.of(new Assignment.TimedOut(new TaskId(Phase.MAP, 0), first.attemptId(), "w1", true)),
                again.timedOut());
        JobSnapshot snapshot = s.snapshot(at(10));
        assertEquals(1, snapshot.reassignments());
        assertEquals(1, snapshot.timeouts());
        assertEquals(1, snapshot.mapsRunning());
    }

    @Test
    void aLateReportStillCompletesTheTaskAndTheOtherCopyIsSuperseded() {
        Scheduler s = scheduler(1, 1);
        Assignment slow = s.assign("w1", at(0));
        Assignment retry = s.assign("w2", at(11));
        assertEquals(Assignment.Reason.REASSIGNED, retry.reason());

        ReportOutcome late = s.report(slow.attemptId(), true, "", at(12));
        assertEquals(ReportOutcome.Kind.COMPLETED, late.kind());
        assertTrue(late.accepted());
        ReportOutcome second = s.report(retry.attemptId(), true, "", at(13));
        assertEquals(ReportOutcome.Kind.SUPERSEDED, second.kind());
        assertFalse(second.accepted());

        JobSnapshot snapshot = s.snapshot(at(13));
        assertEquals(1, snapshot.mapsDone());
        assertEquals(1, snapshot.superseded());
        assertRuns(s.assign("w1", at(13)), Phase.REDUCE, 0, Assignment.Reason.FIRST);
    }

    @Test
    void aRepeatedReportChangesNothing() {
        Scheduler s = scheduler(1, 1);
        Assignment a = s.assign("w1", at(0));
        assertEquals(ReportOutcome.Kind.COMPLETED, s.report(a.attemptId(), true, "", at(1)).kind());
        assertEquals(ReportOutcome.Kind.SUPERSEDED, s.report(a.attemptId(), true, "", at(1.5)).kind());
        assertEquals(ReportOutcome.Kind.SUPERSEDED, s.report(a.attemptId(), false, "late error", at(2)).kind());
        JobSnapshot snapshot = s.snapshot(at(2));
        assertEquals(1, snapshot.mapsDone());
        assertEquals(0, snapshot.failures());
    }

    @Test
    void aReportForAnUnknownAttemptIsIgnored() {
        Scheduler s = scheduler(1, 1);
        ReportOutcome outcome = s.report(42, true, "", at(1));
        assertEquals(ReportOutcome.Kind.UNKNOWN, outcome.kind());
        assertFalse(outcome.accepted());
        assertEquals(0, s.snapshot(at(1)).mapsDone());
    }

    @Test
    void aFailedAttemptGoesBackToTheQueueAtOnce() {
        Scheduler s = scheduler(1, 1);
        Assignment a = s.assign("w1", at(0));
        ReportOutcome failed = s.report(a.attemptId(), false, "java.io.IOException: disk full", at(1));
        assertEquals(ReportOutcome.Kind.FAILED, failed.kind());
        assertEquals("java.io.IOException: disk full", failed.detail());
        assertRuns(s.assign("w2", at(1.1)), Phase.MAP, 0, Assignment.Reason.REASSIGNED);
        assertEquals(1, s.snapshot(at(1.1)).failures());
    }

    @Test
    void aTaskThatKeepsFailingAbortsTheJob() {
        Scheduler s = scheduler(1, 1);
        for (int i = 1; i <= 2; i++) {
            Assignment a = s.assign("w1", at(i));
            assertEquals(ReportOutcome.Kind.FAILED, s.report(a.attemptId(), false, "boom " + i, at(i)).kind());
        }
        Assignment third = s.assign("w1", at(3));
        ReportOutcome outcome = s.report(third.attemptId(), false, "boom 3", at(3));
        assertEquals(ReportOutcome.Kind.ABORTED_JOB, outcome.kind());
        assertEquals("map task 0 failed 3 times; last error: boom 3", outcome.detail());

        Assignment after = s.assign("w2", at(4));
        assertEquals(Assignment.Kind.ABORTED, after.kind());
        assertEquals(outcome.detail(), after.abortReason());
        JobSnapshot snapshot = s.snapshot(at(4));
        assertTrue(snapshot.ended());
        assertFalse(snapshot.done());
    }

    @Test
    void aStragglerGetsABackupCopyAndTheFirstFinishedCopyWins() {
        Scheduler s = scheduler(3, 1);
        Assignment m0 = s.assign("a", at(0));
        Assignment m1 = s.assign("b", at(0));
        Assignment m2 = s.assign("c", at(0));
        s.report(m0.attemptId(), true, "", at(1));
        s.report(m1.attemptId(), true, "", at(1));
        // Typical map time is 1 s; m2 has run 2.5 s: slow, but not three times the typical time yet.
        assertEquals(Assignment.Kind.WAIT, s.assign("a", at(2.5)).kind());

        Assignment backup = s.assign("a", at(3.1));
        assertRuns(backup, Phase.MAP, 2, Assignment.Reason.BACKUP);
        assertEquals(Duration.ofMillis(3100), backup.stragglerRuntime());
        assertEquals(Duration.ofSeconds(1), backup.typicalRuntime());
        // Two copies are enough.
        assertEquals(Assignment.Kind.WAIT, s.assign("b", at(3.2)).kind());

        ReportOutcome won = s.report(backup.attemptId(), true, "", at(4));
        assertEquals(ReportOutcome.Kind.COMPLETED, won.kind());
        assertTrue(won.backup());
        assertEquals(ReportOutcome.Kind.SUPERSEDED, s.report(m2.attemptId(), true, "", at(5)).kind());
        JobSnapshot snapshot = s.snapshot(at(5));
        assertEquals(1, snapshot.backups());
        assertEquals(0, snapshot.reassignments());
        assertEquals(3, snapshot.mapsDone());
    }

    @Test
    void noBackupWhileIdleTasksRemainOrForTheWorkerRunningTheStraggler() {
        Scheduler s = scheduler(3, 1);
        Assignment m0 = s.assign("a", at(0));
        s.assign("b", at(0));
        s.report(m0.attemptId(), true, "", at(1));
        // m2 is still idle: "a" gets it rather than a backup of the slow m1.
        assertRuns(s.assign("a", at(5)), Phase.MAP, 2, Assignment.Reason.FIRST);
        // "b" runs the straggler m1 itself and must not get a copy of it.
        assertEquals(Assignment.Kind.WAIT, s.assign("b", at(6)).kind());
        assertEquals(0, s.snapshot(at(6)).backups());
    }

    @Test
    void fastTasksNeverGetBackupsBelowTheMinimumRuntime() {
        Scheduler s = scheduler(2, 1);
        Assignment m0 = s.assign("a", at(0));
        s.assign("b", at(0));
        s.report(m0.attemptId(), true, "", at(0.01));
        // 90 times the typical 10 ms, but under the 1 s floor.
        assertEquals(Assignment.Kind.WAIT, s.assign("a", at(0.9)).kind());
        assertRuns(s.assign("a", at(1.0)), Phase.MAP, 1, Assignment.Reason.BACKUP);
    }

    @Test
    void backupsCanBeTurnedOff() {
        Scheduler s = new Scheduler(2, 1, SchedulerConfig.of(TIMEOUT, false, 3));
        Assignment m0 = s.assign("a", at(0));
        s.assign("b", at(0));
        s.report(m0.attemptId(), true, "", at(1));
        assertEquals(Assignment.Kind.WAIT, s.assign("a", at(9)).kind());
        assertRuns(s.assign("a", at(10)), Phase.MAP, 1, Assignment.Reason.REASSIGNED);
    }

    @Test
    void theEndWaitsOnlyForWorkersSeenRecently() {
        Scheduler s = scheduler(1, 1);
        Assignment m0 = s.assign("gone", at(0));
        s.report(m0.attemptId(), true, "", at(0.5));
        Assignment r0 = s.assign("idle", at(0.6));
        assertEquals(Assignment.Kind.WAIT, s.assign("busy", at(1.5)).kind());
        s.report(r0.attemptId(), true, "", at(2));

        JobSnapshot end = s.snapshot(at(2));
        assertTrue(end.done());
        // "idle" reported at 2 s and "busy" asked at 1.5 s: both will ask again; "gone" was last seen at 0.5 s.
        assertEquals(2, end.workersAwaitingEnd());
        assertEquals(Assignment.Kind.DONE, s.assign("idle", at(2.1)).kind());
        assertEquals(Assignment.Kind.DONE, s.assign("busy", at(2.1)).kind());
        assertEquals(0, s.snapshot(at(2.2)).workersAwaitingEnd());
    }

    @Test
    void theEndAlsoWaitsForWorkersStillRunningACopy() {
        Scheduler s = scheduler(1, 2);
        s.report(s.assign("a", at(0)).attemptId(), true, "", at(0.5));
        Assignment slow = s.assign("a", at(1));
        s.report(s.assign("c", at(1)).attemptId(), true, "", at(1.2));
        Assignment copy = s.assign("b", at(3));
        assertEquals(Assignment.Reason.BACKUP, copy.reason());
        s.report(copy.attemptId(), true, "", at(4));

        // "a" was last seen at 1 s but still runs the losing copy: it will report, so it is expected.
        JobSnapshot end = s.snapshot(at(4));
        assertTrue(end.done());
        assertEquals(2, end.workersAwaitingEnd(), "a (running a copy) and b (just reported)");
        assertEquals(Assignment.Kind.DONE, s.assign("b", at(4.1)).kind());
        assertEquals(ReportOutcome.Kind.SUPERSEDED, s.report(slow.attemptId(), true, "", at(6)).kind());
        assertEquals(Assignment.Kind.DONE, s.assign("a", at(6)).kind());
        assertEquals(0, s.snapshot(at(6)).workersAwaitingEnd());
    }

    /**
     * Without failures no task runs twice, even with task times spread 2.5x apart (as the jobcount app's 2 to 5 s
     * maps are): backup copies only go to tasks far beyond the typical time.
     */
    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
    void noTaskRunsTwiceWithoutAFailure(long seed) {
        Random random = new Random(seed);
        int maps = 8;
        int reduces = 10;
        Scheduler s = scheduler(maps, reduces);
        // Each worker: at its next event time it either asks for work or reports what it ran.
        record Event(long at, String worker, long attemptId) {}
        PriorityQueue<Event> events = new PriorityQueue<>((x, y) -> Long.compare(x.at, y.at));
        for (int w = 0; w < 4; w++) {
            events.add(new Event(at(random.nextDouble() * 0.5), "w" + w, 0));
        }
        Map<TaskId, Integer> runs = new HashMap<>();
        List<String> log = new ArrayList<>();
        while (!events.isEmpty()) {
            Event e = events.poll();
            if (e.attemptId != 0) {
                assertEquals(ReportOutcome.Kind.COMPLETED, s.report(e.attemptId, true, "", e.at).kind());
                events.add(new Event(e.at + at(0.01), e.worker, 0));
                continue;
            }
            Assignment a = s.assign(e.worker, e.at);
            switch (a.kind()) {
                case RUN -> {
                    runs.merge(a.task(), 1, Integer::sum);
                    log.add(e.at + " " + e.worker + " " + a.task() + " " + a.reason());
                    double seconds = a.task().phase() == Phase.MAP ? 2 + 3 * random.nextDouble()
                            : 0.005 + 0.05 * random.nextDouble();
                    events.add(new Event(e.at + at(seconds), e.worker, a.attemptId()));
                }
                case WAIT -> events.add(new Event(e.at + at(0.1), e.worker, 0));
                case DONE, ABORTED -> { }
            }
        }
        JobSnapshot end = s.snapshot(at(1_000));
        assertTrue(end.done(), String.join("\n", log));
        assertEquals(maps + reduces, runs.size());
        runs.forEach((task, count) -> assertEquals(1, count, task + " ran " + count + " times:\n"
                + String.join("\n", log)));
        assertEquals(0, end.backups() + end.reassignments());
    }
}
