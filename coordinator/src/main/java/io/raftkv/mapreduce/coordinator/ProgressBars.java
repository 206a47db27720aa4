package io.raftkv.mapreduce.coordinator;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** Progress as a terminal bar: one for the map phase, then one for the reduce phase. */
final class ProgressBars implements ProgressDisplay {
    private ProgressBar bar;
    private Phase phase;

    @Override
    public void show(JobSnapshot s) {
        Phase current = s.mapsDone() < s.maps() ? Phase.MAP : Phase.REDUCE;
        if (phase != current) {
            if (bar != null) {
                bar.stepTo(s.total(phase));
                bar.close();
            }
            phase = current;
            bar = new ProgressBarBuilder()
                    .setTaskName(current == Phase.MAP ? "map   " : "reduce")
                    .setInitialMax(s.total(current))
                    .setStyle(ProgressBarStyle.ASCII)
                    .setUpdateIntervalMillis(200)
                    .hideEta()
                    .build();
        }
        bar.stepTo(s.finished(current));
        bar.setExtraMessage(s.running(current) + " running"
                + (s.reassignments() + s.backups() > 0
                        ? ", " + s.reassignments() + " re-assigned, " + s.backups() + " backups"
                        : "")
                + (s.lostMapOutputs() > 0 ? ", " + s.lostMapOutputs() + " maps re-run for lost outputs" : ""));
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }
}
