package io.raftkv.mapreduce.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class CoordinatorStatusTest {
    private static final long SECOND = 1_000_000_000L;

    @Test
    void thePhaseProgressAndEveryTaskWithItsWorkersAttemptsAndTime() {
        Scheduler scheduler = new Scheduler(2, 1, SchedulerConfig.of(Duration.ofSeconds(10), true, 3));
        long first = scheduler.assign("w1", 0).attemptId();
        scheduler.assign("w2", 0);
        scheduler.report(first, true, null, 2 * SECOND);
        long now = 3 * SECOND;
        String json = CoordinatorStatus.json("j1", "wc", scheduler.snapshot(now), scheduler.taskViews(now));
        assertEquals("{\"job\":\"j1\",\"app\":\"wc\",\"phase\":\"map\","
                + "\"map\":{\"total\":2,\"idle\":0,\"running\":1,\"done\":1},"
                + "\"reduce\":{\"total\":1,\"idle\":1,\"running\":0,\"done\":0},"
                + "\"reassignments\":0,\"backups\":0,\"failures\":0,\"timeouts\":0,\"lost_map_outputs\":0,\"tasks\":["
                + "{\"phase\":\"map\",\"index\":0,\"state\":\"done\",\"workers\":[\"w1\"],\"attempts\":1,"
                + "\"failures\":0,\"duration_ms\":2000,\"backup\":false,\"reruns\":0},"
                + "{\"phase\":\"map\",\"index\":1,\"state\":\"running\",\"workers\":[\"w2\"],\"attempts\":1,"
                + "\"failures\":0,\"duration_ms\":3000,\"backup\":false,\"reruns\":0},"
                + "{\"phase\":\"reduce\",\"index\":0,\"state\":\"idle\",\"workers\":[],\"attempts\":0,"
                + "\"failures\":0,\"duration_ms\":0,\"backup\":false,\"reruns\":0}]}", json);
    }

    @Test
    void aMapTaskWhoseOutputWasLostIsMarkedReRun() {
        Scheduler scheduler = new Scheduler(1, 1, SchedulerConfig.of(Duration.ofSeconds(10), true, 3));
        scheduler.report(scheduler.assign("w1", 0).attemptId(), true, null, SECOND);
        long reduce = scheduler.assign("w2", SECOND).attemptId();
        scheduler.report(reduce, false, "fetch failed", List.of(new Scheduler.LostOutput(0, "w1")), 2 * SECOND);
        Scheduler.TaskView map = scheduler.taskViews(2 * SECOND).get(0);
        assertEquals(new Scheduler.TaskView(new TaskId(Phase.MAP, 0), "idle", List.of(), 1, 0, 0, false, 1), map);
        String json = CoordinatorStatus.json("j1", "wc", scheduler.snapshot(2 * SECOND),
                scheduler.taskViews(2 * SECOND));
        assertTrue(json.contains("\"phase\":\"map\",\"map\":{\"total\":1,\"idle\":1")
                && json.contains("\"lost_map_outputs\":1"), json);
    }
}
