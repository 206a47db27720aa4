package io.raftkv.kv.client.bench;

import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What one phase of load did: its successful operations with their latencies (failed ones are counted by kind and
 * left out of the latencies), how long it took, and which limit ended it.
 *
 * @param elapsedNanos from the first client's start to the last client's end
 */
public record PhaseResult(LatencyHistogram puts, LatencyHistogram gets, SortedMap<String, Long> errors,
        long elapsedNanos, Stop stoppedBy) {

    /** Which bound ended a phase. */
    public enum Stop {
        /** The operation count was reached (or the plan ran out of steps). */
        COUNT,
        /** The time limit passed. */
        TIME
    }

    public PhaseResult {
        errors = new TreeMap<>(errors);
    }

    /** Latencies of every successful operation. */
    public LatencyHistogram all() {
        LatencyHistogram all = new LatencyHistogram();
        all.add(puts);
        all.add(gets);
        return all;
    }

    public long succeeded() {
        return puts.count() + gets.count();
    }

    public long failed() {
        return errors.values().stream().mapToLong(Long::longValue).sum();
    }

    public double seconds() {
        return elapsedNanos / 1e9;
    }

    /** Successful operations per second. */
    public double throughput() {
        return elapsedNanos == 0 ? 0 : succeeded() / seconds();
    }

    static SortedMap<String, Long> merge(Map<String, Long> into, Map<String, Long> more) {
        SortedMap<String, Long> merged = new TreeMap<>(into);
        more.forEach((kind, count) -> merged.merge(kind, count, Long::sum));
        return merged;
    }
}
