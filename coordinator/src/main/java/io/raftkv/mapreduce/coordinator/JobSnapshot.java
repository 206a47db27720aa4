package io.raftkv.mapreduce.coordinator;

/**
 * The scheduler's counts at one moment: tasks by phase and state, and what happened so far.
 *
 * @param lostMapOutputs     completed map tasks sent back to the queue because a reduce could not fetch their output
 * @param workersAwaitingEnd once the job ended: workers expected to ask again soon (seen in the last second, or still
 *                           running an attempt) that have not yet been told the job ended
 */
record JobSnapshot(
        int maps, int mapsIdle, int mapsRunning, int mapsDone,
        int reduces, int reducesIdle, int reducesRunning, int reducesDone,
        long reassignments, long backups, long failures, long timeouts, long superseded, long lostMapOutputs,
        boolean done, String abortReason, int workersAwaitingEnd) {

    boolean ended() {
        return done || abortReason != null;
    }

    int idle(Phase phase) {
        return phase == Phase.MAP ? mapsIdle : reducesIdle;
    }

    int running(Phase phase) {
        return phase == Phase.MAP ? mapsRunning : reducesRunning;
    }

    int finished(Phase phase) {
        return phase == Phase.MAP ? mapsDone : reducesDone;
    }

    int total(Phase phase) {
        return phase == Phase.MAP ? maps : reduces;
    }
}
