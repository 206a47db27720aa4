package io.raftkv.deploy;

import io.raftkv.common.client.ClientOptions;
import io.raftkv.kv.client.GetResult;
import io.raftkv.kv.client.KvClient;
import io.raftkv.kv.client.KvInvalidArgumentException;
import io.raftkv.testkit.AppendLedger;
import io.raftkv.testkit.linearizability.CheckResult;
import io.raftkv.testkit.linearizability.HistoryRecorder;
import io.raftkv.testkit.linearizability.KvModel;
import io.raftkv.testkit.linearizability.LinearizabilityChecker;
import io.raftkv.testkit.linearizability.Operation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Client load for a chaos scenario: a few threads, each with its own client (a Clerk, or a ShardedClerk), run
 * put/append/get on a few keys and record every call in one history. Appends carry unique tokens ("c2.17;"), so the final values show whether an
 * acknowledged append was lost or applied twice. Bounded in time and in operations per thread.
 */
final class ChaosWorkload implements AutoCloseable {
    /** A safety bound only: the clients are meant to run until {@link #stop()}, which ends them long before. */
    private static final int MAX_OPS_PER_THREAD = 50_000;
    /** A pause between operations keeps the history small enough to check in seconds. */
    private static final Duration THINK = Duration.ofMillis(15);
    /**
     * Long enough for a call to outlast most outages (a write then completes, applied once, rather than ending with
     * an unknown outcome): every unknown append multiplies the orders the checker must try.
     */
    private static final Duration OPERATION_TIMEOUT = Duration.ofSeconds(30);

    private final ChaosTarget cluster;
    private final String prefix;
    private final List<String> appendKeys;
    private final String registerKey;
    private final HistoryRecorder<KvModel.Input, KvModel.Output> recorder = new HistoryRecorder<>();
    private final AppendLedger ledger = new AppendLedger();
    private final AtomicBoolean stop = new AtomicBoolean();
    /** Writes the cluster rejected as invalid: none are expected. */
    private final List<String> rejected = java.util.Collections.synchronizedList(new ArrayList<>());
    private final AtomicLong okWrites = new AtomicLong();
    private final AtomicLong unknownWrites = new AtomicLong();
    /** When the fault script finished (System.nanoTime), or Long.MAX_VALUE while it runs. */
    private volatile long faultsOverAt = Long.MAX_VALUE;
    private final AtomicLong okWritesAfterFaults = new AtomicLong();
    private final List<Thread> threads = new ArrayList<>();
    private final List<KvClient> clerks = new ArrayList<>();
    private final long deadline;

    private ChaosWorkload(ChaosTarget cluster, String prefix, List<String> appendKeys, Duration maxRun) {
        this.cluster = cluster;
        this.prefix = prefix;
        this.appendKeys = List.copyOf(appendKeys);
        this.registerKey = prefix + "/r";
        this.deadline = System.nanoTime() + maxRun.toNanos();
    }

    /**
     * Starts {@code clients} threads on keys under {@code prefix}; they run until {@link #stop()}, and maxRun is only
     * the hard bound that keeps the loops finite if a test never stops them.
     */
    static ChaosWorkload start(ChaosTarget cluster, String prefix, int clients, Duration maxRun) {
        return start(cluster, prefix, List.of(prefix + "/a0", prefix + "/a1", prefix + "/a2"), clients, maxRun);
    }

    /** As above, appending to {@code appendKeys} (the register key is {@code prefix/r}). */
    static ChaosWorkload start(ChaosTarget cluster, String prefix, List<String> appendKeys, int clients,
            Duration maxRun) {
        ChaosWorkload workload = new ChaosWorkload(cluster, prefix, appendKeys, maxRun);
        for (int c = 0; c < clients; c++) {
            int clientId = c;
            KvClient clerk = cluster.client(ClientOptions.DEFAULT.withTimeout(OPERATION_TIMEOUT));
            workload.clerks.add(clerk);
            Thread thread = Thread.ofPlatform().name(prefix + "-client-" + c).daemon()
                    .start(() -> workload.run(clientId, clerk));
            workload.threads.add(thread);
        }
        return workload;
    }

    private void run(int clientId, KvClient clerk) {
        SplittableRandom random = new SplittableRandom(prefix.hashCode() * 31L + clientId);
        for (int n = 0; n < MAX_OPS_PER_THREAD && !stop.get() && System.nanoTime() < deadline; n++) {
            int dice = random.nextInt(100);
            if (dice < 50) {
                String key = appendKeys.get(random.nextInt(appendKeys.size()));
                String token = "c" + clientId + "." + n;
                switch (write(clientId, clerk, KvModel.Input.append(key, token + AppendLedger.SEPARATOR))) {
                    case OK -> ledger.acknowledged(key, token);
                    case UNKNOWN -> ledger.unknown(key, token);
                    case REJECTED -> { } // listed among the problems by write
                }
            } else if (dice < 60) {
                write(clientId, clerk, KvModel.Input.put(registerKey, "c" + clientId + "." + n));
            } else {
                List<String> keys = new ArrayList<>(appendKeys);
                keys.add(registerKey);
                read(clientId, clerk, keys.get(random.nextInt(keys.size())));
            }
            sleep(THINK);
        }
    }

    private enum Outcome { OK, REJECTED, UNKNOWN }

    /** Runs a put or append and records it in the history. */
    private Outcome write(int clientId, KvClient clerk, KvModel.Input input) {
        long call = recorder.invoke(clientId, input);
        boolean calledAfterFaults = System.nanoTime() >= faultsOverAt;
        try {
            if (input.op() == KvModel.Op.APPEND) {
                clerk.append(input.key(), input.value());
            } else {
                clerk.put(input.key(), input.value());
            }
            recorder.ok(call, KvModel.Output.ok());
            okWrites.incrementAndGet();
            if (calledAfterFaults) {
                okWritesAfterFaults.incrementAndGet();
            }
            return Outcome.OK;
        } catch (KvInvalidArgumentException e) {
            recorder.failed(call);
            rejected.add(input + ": " + e.getMessage());
            return Outcome.REJECTED;
        } catch (RuntimeException e) {
            // Timed out or cut off: it may still be applied (once), so its outcome is unknown.
            recorder.unknown(call);
            unknownWrites.incrementAndGet();
            return Outcome.UNKNOWN;
        }
    }

    private GetResult read(int clientId, KvClient clerk, String key) {
        long call = recorder.invoke(clientId, KvModel.Input.get(key));
        try {
            GetResult result = clerk.get(key);
            recorder.ok(call, result instanceof GetResult.Found found ? KvModel.Output.value(found.text())
                    : KvModel.Output.notFound());
            return result;
        } catch (RuntimeException e) {
            // A read that failed had no effect: it is left out of the history.
            recorder.failed(call);
            return null;
        }
    }

    /** The fault script has finished: writes invoked from now on count as {@link #okWritesAfterFaults()}. */
    void markFaultsOver() {
        faultsOverAt = System.nanoTime();
    }

    /** Acknowledged writes that were invoked after {@link #markFaultsOver()}: the cluster recovered. */
    long okWritesAfterFaults() {
        return okWritesAfterFaults.get();
    }

    /** Whether every client thread is still running (none hit its safety bound or died). */
    boolean allClientsRunning() {
        return threads.stream().allMatch(Thread::isAlive);
    }

    /** Stops the clients and waits for them (each finishes its current call within the Clerk's timeout). */
    void stop() {
        stop.set(true);
        Duration bound = OPERATION_TIMEOUT.plusSeconds(30);
        for (Thread thread : threads) {
            try {
                thread.join(bound);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while stopping the clients", e);
            }
            if (thread.isAlive()) {
                throw new AssertionError(thread.getName() + " did not stop within " + bound);
            }
        }
    }

    /**
     * After {@link #stop()}: reads every append key once more (recorded too), then checks the whole history for
     * linearizability and every key's final value for lost, duplicated or invented append tokens.
     */
    Verdict verify() {
        Map<String, String> finalValues = new HashMap<>();
        try (KvClient clerk = cluster.client(ClientOptions.DEFAULT.withTimeout(Duration.ofSeconds(30)))) {
            for (String key : appendKeys) {
                GetResult result = read(99, clerk, key);
                if (result == null) {
                    throw new AssertionError("the final read of " + key + " failed: the cluster did not recover");
                }
                finalValues.put(key, result instanceof GetResult.Found found ? found.text() : "");
            }
        }
        List<String> problems = new ArrayList<>(rejected);
        for (String key : appendKeys) {
            problems.addAll(ledger.problems(key, finalValues.get(key)));
        }
        int acknowledgedAppends = ledger.acknowledgedCount();
        List<Operation<KvModel.Input, KvModel.Output>> history = recorder.history();
        CheckResult check = LinearizabilityChecker.check(KvModel.INSTANCE, history, Duration.ofSeconds(120));
        return new Verdict(history.size(), okWrites.get(), okWritesAfterFaults.get(), unknownWrites.get(),
                acknowledgedAppends, problems, check);
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        stop.set(true);
        clerks.forEach(KvClient::close);
    }

    /** What a run showed: its size, problems with the append tokens, and the checker's verdict. */
    record Verdict(int operations, long okWrites, long okWritesAfterFaults, long unknownWrites, int acknowledgedAppends,
            List<String> problems, CheckResult linearizability) {
        String summary() {
            return operations + " operations (" + okWrites + " acknowledged writes, " + okWritesAfterFaults
                    + " of them after the last fault, " + unknownWrites
                    + " unknown, " + acknowledgedAppends + " acknowledged appends), " + linearizability.verdict()
                    + " in " + linearizability.elapsed().toMillis() + " ms";
        }
    }
}
