package io.raftkv.kv.server.process;

import java.util.HashMap;
import java.util.Map;

/**
 * A counter summed over node processes: a SIGKILLed node's counters start again from zero, so the tally keeps the
 * last value read from each process (by pid) and adds them up.
 */
final class MetricsTally {
    private final String name;
    private final Map<Long, Double> lastByProcess = new HashMap<>();

    MetricsTally(String name) {
        this.name = name;
    }

    /** Reads the counter from every running node of {@code cluster}. */
    synchronized void sample(KvProcessCluster cluster) {
        for (String id : cluster.runningIds()) {
            String text = cluster.metrics(id);
            if (text != null) {
                lastByProcess.merge(cluster.pid(id), PrometheusText.sum(text, name), Math::max);
            }
        }
    }

    synchronized double total() {
        return lastByProcess.values().stream().mapToDouble(Double::doubleValue).sum();
    }

    String name() {
        return name;
    }
}
