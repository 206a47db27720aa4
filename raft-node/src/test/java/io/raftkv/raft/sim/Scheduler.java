package io.raftkv.raft.sim;

import java.util.Arrays;
import java.util.function.BooleanSupplier;

/**
 * Virtual time and the events waiting in it. Time is in microseconds and only moves when an event runs; events at the
 * same instant run in the order they were scheduled, so a run is a pure function of the seed. Every event is one
 * simulation step.
 */
public final class Scheduler {
    public static final long MILLIS = 1_000;
    public static final long SECONDS = 1_000_000;

    // A binary min-heap of (time, sequence) keys with parallel action slots.
    private long[] times = new long[1024];
    private long[] seqs = new long[1024];
    private Runnable[] actions = new Runnable[1024];
    private int size;
    private long nextSeq;
    private long now;
    private long steps;

    /** The current virtual time in microseconds. */
    public long now() {
        return now;
    }

    /** How many events have run. */
    public long steps() {
        return steps;
    }

    public int pending() {
        return size;
    }

    /** Runs {@code action} at virtual time {@code time} (now if in the past). */
    public void at(long time, Runnable action) {
        if (size == times.length) {
            int cap = size * 2;
            times = Arrays.copyOf(times, cap);
            seqs = Arrays.copyOf(seqs, cap);
            actions = Arrays.copyOf(actions, cap);
        }
        long t = Math.max(time, now);
        long s = nextSeq++;
        int i = size++;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (less(times[parent], seqs[parent], t, s)) {
                break;
            }
            times[i] = times[parent];
            seqs[i] = seqs[parent];
            actions[i] = actions[parent];
            i = parent;
        }
        times[i] = t;
        seqs[i] = s;
        actions[i] = action;
    }

    /** Runs {@code action} after {@code delay} microseconds. */
    public void after(long delay, Runnable action) {
        at(now + Math.max(0, delay), action);
    }

    /** Runs the next event; false if there is none. */
    public boolean step() {
        if (size == 0) {
            return false;
        }
        long t = times[0];
        Runnable action = actions[0];
        removeTop();
        now = t;
        steps++;
        action.run();
        return true;
    }

    /** The time of the next event, or Long.MAX_VALUE if none. */
    public long nextTime() {
        return size == 0 ? Long.MAX_VALUE : times[0];
    }

    /** Runs every event up to {@code time}, then sets the clock to it. */
    public void runUntil(long time) {
        while (size > 0 && times[0] <= time) {
            step();
        }
        now = Math.max(now, time);
    }

    /**
     * Runs events until {@code condition} holds (checked before each event) or the clock would pass
     * {@code deadline}; returns whether the condition holds.
     */
    public boolean runUntil(BooleanSupplier condition, long deadline) {
        while (true) {
            if (condition.getAsBoolean()) {
                return true;
            }
            if (size == 0 || times[0] > deadline) {
                now = Math.max(now, deadline);
                return condition.getAsBoolean();
            }
            step();
        }
    }

    private void removeTop() {
        int last = --size;
        long t = times[last];
        long s = seqs[last];
        Runnable a = actions[last];
        actions[last] = null;
        int i = 0;
        int half = size >>> 1;
        while (i < half) {
            int child = 2 * i + 1;
            int right = child + 1;
            if (right < size && less(times[right], seqs[right], times[child], seqs[child])) {
                child = right;
            }
            if (less(t, s, times[child], seqs[child])) {
                break;
            }
            times[i] = times[child];
            seqs[i] = seqs[child];
            actions[i] = actions[child];
            i = child;
        }
        if (size > 0) {
            times[i] = t;
            seqs[i] = s;
            actions[i] = a;
        }
    }

    private static boolean less(long t1, long s1, long t2, long s2) {
        return t1 < t2 || (t1 == t2 && s1 < s2);
    }
}
