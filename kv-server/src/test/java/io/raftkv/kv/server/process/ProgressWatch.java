package io.raftkv.kv.server.process;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Watches a count of completed operations in phases: each phase's operations per second and its longest stall (the
 * longest time the count did not move, sampled every 20 ms), which is how long clients saw the cluster unavailable.
 */
final class ProgressWatch implements AutoCloseable {
    /** What one phase measured. */
    record Phase(String name, long operations, double seconds, long longestStallMillis) {
        double rate() {
            return operations / seconds;
        }

        @Override
        public String toString() {
            return String.format("%s: %d operations in %.1f s (%.0f/s), longest stall %d ms", name, operations,
                    seconds, rate(), longestStallMillis);
        }
    }

    private final AtomicLong completed;
    private final Thread sampler;
    private volatile boolean stopped;
    private long phaseStartValue;
    private long phaseStartNanos;
    private long lastValue;
    private long lastChangeNanos;
    private long longestStallNanos;

    ProgressWatch(AtomicLong completed) {
        this.completed = completed;
        long now = System.nanoTime();
        synchronized (this) {
            phaseStartValue = lastValue = completed.get();
            phaseStartNanos = lastChangeNanos = now;
        }
        sampler = new Thread(this::sample, "progress-watch");
        sampler.setDaemon(true);
        sampler.start();
    }

    private void sample() {
        while (!stopped) {
            observe();
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private synchronized void observe() {
        long now = System.nanoTime();
        long value = completed.get();
        if (value != lastValue) {
            lastValue = value;
            lastChangeNanos = now;
        } else {
            longestStallNanos = Math.max(longestStallNanos, now - lastChangeNanos);
        }
    }

    /** Ends the phase that ran since the last call (or since the start) and starts the next one. */
    synchronized Phase endPhase(String name) {
        observe();
        long now = System.nanoTime();
        Phase phase = new Phase(name, lastValue - phaseStartValue, (now - phaseStartNanos) / 1e9,
                longestStallNanos / 1_000_000);
        phaseStartValue = lastValue;
        phaseStartNanos = now;
        lastChangeNanos = now;
        longestStallNanos = 0;
        return phase;
    }

    @Override
    public void close() throws InterruptedException {
        stopped = true;
        sampler.interrupt();
        sampler.join();
    }
}
