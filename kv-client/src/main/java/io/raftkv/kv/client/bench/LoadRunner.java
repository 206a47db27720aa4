package io.raftkv.kv.client.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs closed-loop load: N clients, each a virtual thread that sends one operation, waits for its answer, and sends
 * the next. A virtual thread parks while its call is in flight, so 256 clients cost 256 small stacks, not 256
 * platform threads. Every phase is bounded twice: by an operation count shared by all clients, and by a time limit.
 */
final class LoadRunner {
    private final BenchTarget target;
    private final KeySpace keys;
    private final int valueSize;
    private final long seed;
    private final Duration operationTimeout;

    /**
     * @param operationTimeout how long one operation may take at most (the target's own deadline), so that a phase
     *     ends at most that long after its time limit
     */
    LoadRunner(BenchTarget target, KeySpace keys, int valueSize, long seed, Duration operationTimeout) {
        this.target = target;
        this.keys = keys;
        this.valueSize = valueSize;
        this.seed = seed;
        this.operationTimeout = operationTimeout;
    }

    /**
     * Runs {@code plan} with {@code clients} clients until {@code maxOps} operations were sent (successful or not),
     * the plan runs out, or {@code timeLimit} has passed, whichever comes first.
     */
    PhaseResult run(String phase, Plan plan, int clients, long maxOps, Duration timeLimit) {
        AtomicLong budget = new AtomicLong(maxOps);
        AtomicBoolean timeRanOut = new AtomicBoolean();
        AtomicReference<Throwable> crash = new AtomicReference<>();
        List<Client> loops = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        long start = System.nanoTime();
        long deadline = start + timeLimit.toNanos();
        for (int i = 0; i < clients; i++) {
            Client client = new Client(new SplittableRandom(seed * 1_000_003L + i), plan, budget, deadline,
                    timeRanOut);
            loops.add(client);
            threads.add(Thread.ofVirtual().name("bench-" + phase + "-" + i).start(() -> {
                try {
                    client.run();
                } catch (Throwable t) {
                    crash.compareAndSet(null, t);
                }
            }));
        }
        joinAll(threads, deadline + operationTimeout.toNanos() + TimeUnit.SECONDS.toNanos(10));
        long elapsed = System.nanoTime() - start;
        if (crash.get() != null) {
            throw new IllegalStateException("a load client failed: " + crash.get(), crash.get());
        }
        LatencyHistogram puts = new LatencyHistogram();
        LatencyHistogram gets = new LatencyHistogram();
        Map<String, Long> errors = new TreeMap<>();
        for (Client client : loops) {
            puts.add(client.puts);
            gets.add(client.gets);
            errors = PhaseResult.merge(errors, client.errors);
        }
        return new PhaseResult(puts, gets, new TreeMap<>(errors), elapsed,
                timeRanOut.get() ? PhaseResult.Stop.TIME : PhaseResult.Stop.COUNT);
    }

    /** Waits for every client; a client still running long after the time limit is a bug in a target's deadline. */
    private static void joinAll(List<Thread> threads, long giveUpAt) {
        try {
            for (Thread thread : threads) {
                long left = giveUpAt - System.nanoTime();
                if (left <= 0 || !thread.join(Duration.ofNanos(left))) {
                    threads.forEach(Thread::interrupt);
                    throw new IllegalStateException("load client " + thread.getName()
                            + " did not stop after the phase's time limit and the operation timeout");
                }
            }
        } catch (InterruptedException e) {
            threads.forEach(Thread::interrupt);
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the load clients", e);
        }
    }

    /** One client: its own random source, value bytes, latencies and error counts, touched by its thread only. */
    private final class Client {
        final SplittableRandom random;
        final Plan plan;
        final AtomicLong budget;
        final long deadline;
        final AtomicBoolean timeRanOut;
        final byte[] value;
        final LatencyHistogram puts = new LatencyHistogram();
        final LatencyHistogram gets = new LatencyHistogram();
        final Map<String, Long> errors = new HashMap<>();

        Client(SplittableRandom random, Plan plan, AtomicLong budget, long deadline, AtomicBoolean timeRanOut) {
            this.random = random;
            this.plan = plan;
            this.budget = budget;
            this.deadline = deadline;
            this.timeRanOut = timeRanOut;
            this.value = randomText(random, valueSize);
        }

        void run() {
            while (!Thread.currentThread().isInterrupted()) {
                if (System.nanoTime() - deadline >= 0) {
                    timeRanOut.set(true);
                    return;
                }
                if (budget.getAndDecrement() <= 0) {
                    return;
                }
                Plan.Step step = plan.next(random);
                if (step == null) {
                    return;
                }
                byte[] key = keys.key(step.key());
                long begin = System.nanoTime();
                try {
                    if (step.op() == Workload.Op.PUT) {
                        target.put(key, value);
                        puts.record(System.nanoTime() - begin);
                    } else if (target.get(key)) {
                        gets.record(System.nanoTime() - begin);
                    } else {
                        // Every key a read can pick was written before the run: finding none is a lost write.
                        errors.merge(ErrorKinds.NOT_FOUND, 1L, Long::sum);
                    }
                } catch (RuntimeException e) {
                    errors.merge(target.errorKind(e), 1L, Long::sum);
                }
            }
        }
    }

    /** Printable random bytes, so values look the same to both systems and to anyone reading them back. */
    static byte[] randomText(SplittableRandom random, int length) {
        byte[] text = new byte[length];
        for (int i = 0; i < length; i++) {
            text[i] = (byte) ('a' + random.nextInt(26));
        }
        return text;
    }
}
