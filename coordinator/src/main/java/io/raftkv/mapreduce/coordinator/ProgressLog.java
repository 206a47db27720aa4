package io.raftkv.mapreduce.coordinator;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Progress as log lines: one whenever a task finishes, and a reminder every 10 s while nothing finishes. */
final class ProgressLog implements ProgressDisplay {
    private static final Logger log = LoggerFactory.getLogger("progress");
    private static final long QUIET_NANOS = 10_000_000_000L;

    private int lastMapsDone = -1;
    private int lastReducesDone = -1;
    private long lastLine;

    @Override
    public void show(JobSnapshot s) {
        long now = System.nanoTime();
        boolean changed = s.mapsDone() != lastMapsDone || s.reducesDone() != lastReducesDone;
        if (!changed && now - lastLine < QUIET_NANOS) {
            return;
        }
        lastMapsDone = s.mapsDone();
        lastReducesDone = s.reducesDone();
        lastLine = now;
        log.info("map {}/{} done ({} running), reduce {}/{} done ({} running){}", s.mapsDone(), s.maps(),
                s.mapsRunning(), s.reducesDone(), s.reduces(), s.reducesRunning(),
                s.lostMapOutputs() > 0 ? ", " + s.lostMapOutputs() + " map(s) re-run for lost outputs" : "");
    }

    @Override
    public void close() {}
}
