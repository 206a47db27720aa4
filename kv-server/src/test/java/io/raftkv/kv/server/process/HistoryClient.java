package io.raftkv.kv.server.process;

import io.raftkv.kv.client.GetResult;
import io.raftkv.kv.client.KvClient;
import io.raftkv.kv.client.KvUnavailableException;
import io.raftkv.testkit.AppendLedger;
import io.raftkv.testkit.Eventually;
import io.raftkv.testkit.linearizability.HistoryRecorder;
import io.raftkv.testkit.linearizability.KvModel;
import io.raftkv.testkit.linearizability.Operation;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One client of the crash tests: a loop of random operations through its own client (a Clerk, or a ShardedClerk),
 * each recorded in the shared history. The append keys ({@code a0}/{@code a1} by default) only see appends of unique
 * tokens and gets (so the ledger can check that no acknowledged append is lost or doubled); the mixed key
 * ({@code p0}) sees puts, appends and gets. The loop is paced and bounded
 * in count, and stops when asked.
 */
final class HistoryClient implements Runnable {
    static final String[] APPEND_KEYS = {"a0", "a1"};
    static final String MIXED_KEY = "p0";

    private final int id;
    private final KvClient clerk;
    private final List<String> appendKeys;
    private final String mixedKey;
    private final HistoryRecorder<KvModel.Input, KvModel.Output> history;
    private final AppendLedger ledger;
    private final AtomicBoolean stop;
    private final AtomicLong completed;
    private final int maxOps;
    private final Duration pace;
    private final String putPadding;
    private final Random random;
    private volatile Throwable failure;

    HistoryClient(int id, KvClient clerk, HistoryRecorder<KvModel.Input, KvModel.Output> history,
            AppendLedger ledger, AtomicBoolean stop, AtomicLong completed, int maxOps, Duration pace,
            int putPaddingBytes) {
        this(id, clerk, List.of(APPEND_KEYS), MIXED_KEY, history, ledger, stop, completed, maxOps, pace,
                putPaddingBytes);
    }

    HistoryClient(int id, KvClient clerk, List<String> appendKeys, String mixedKey,
            HistoryRecorder<KvModel.Input, KvModel.Output> history, AppendLedger ledger, AtomicBoolean stop,
            AtomicLong completed, int maxOps, Duration pace, int putPaddingBytes) {
        this.id = id;
        this.clerk = clerk;
        this.appendKeys = List.copyOf(appendKeys);
        this.mixedKey = mixedKey;
        this.history = history;
        this.ledger = ledger;
        this.stop = stop;
        this.completed = completed;
        this.maxOps = maxOps;
        this.pace = pace;
        this.putPadding = "x".repeat(putPaddingBytes);
        this.random = new Random(id);
    }

    Throwable failure() {
        return failure;
    }

    @Override
    public void run() {
        try {
            for (int n = 0; n < maxOps && !stop.get(); n++) {
                step("c" + id + "-" + n);
                Thread.sleep(pace.toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable t) {
            failure = t;
        }
    }

    private void step(String token) {
        int r = random.nextInt(100);
        String appendKey = appendKeys.get(random.nextInt(appendKeys.size()));
        if (r < 40) {
            append(appendKey, token, true);
        } else if (r < 55) {
            get(appendKey);
        } else if (r < 70) {
            put(mixedKey, token + AppendLedger.SEPARATOR + putPadding);
        } else if (r < 80) {
            append(mixedKey, token + AppendLedger.SEPARATOR, false);
        } else {
            get(mixedKey);
        }
    }

    private void append(String key, String token, boolean ledgered) {
        String value = ledgered ? token + AppendLedger.SEPARATOR : token;
        long call = history.invoke(id, KvModel.Input.append(key, value));
        try {
            clerk.append(key, value);
            history.ok(call, KvModel.Output.ok());
            completed.incrementAndGet();
            if (ledgered) {
                ledger.acknowledged(key, token);
            }
        } catch (KvUnavailableException e) {
            history.unknown(call);
            if (ledgered) {
                ledger.unknown(key, token);
            }
        }
    }

    private void put(String key, String value) {
        long call = history.invoke(id, KvModel.Input.put(key, value));
        try {
            clerk.put(key, value);
            history.ok(call, KvModel.Output.ok());
            completed.incrementAndGet();
        } catch (KvUnavailableException e) {
            history.unknown(call);
        }
    }

    private void get(String key) {
        long call = history.invoke(id, KvModel.Input.get(key));
        try {
            GetResult result = clerk.get(key);
            history.ok(call, result instanceof GetResult.Found found ? KvModel.Output.value(found.text())
                    : KvModel.Output.notFound());
            completed.incrementAndGet();
        } catch (KvUnavailableException e) {
            history.failed(call); // a read that did not answer changed nothing
        }
    }

    /**
     * The history without the unknown-outcome appends to the append-only keys whose unique token the final value
     * lacks: those never took effect and never will (the final read went through a leader that had committed in its
     * term, which settles every earlier entry), so dropping them changes no verdict. Each one left in would stay open
     * to the end of the history and multiply the checker's search (a run with 5 of them exhausted its 4 million
     * configurations).
     */
    static List<Operation<KvModel.Input, KvModel.Output>> withoutUnappliedAppends(
            List<Operation<KvModel.Input, KvModel.Output>> ops, Map<String, String> finalValues,
            List<String> appendOnly) {
        return ops.stream().filter(op -> op.outcomeKnown() || op.input().op() != KvModel.Op.APPEND
                || !appendOnly.contains(op.input().key())
                || finalValues.getOrDefault(op.input().key(), "").contains(op.input().value())).toList();
    }

    /** Asks the clients to stop, waits for their threads (30 s each), and fails if any client failed. */
    static void stopAll(AtomicBoolean stop, List<Thread> threads, List<HistoryClient> clients)
            throws InterruptedException {
        stop.set(true);
        for (Thread thread : threads) {
            thread.join(Duration.ofSeconds(30));
            if (thread.isAlive()) {
                throw new AssertionError(thread.getName() + " did not stop");
            }
        }
        for (HistoryClient client : clients) {
            if (client.failure() != null) {
                throw new AssertionError("a client failed", client.failure());
            }
        }
    }

    /**
     * Reads {@code keys} once more through {@code reader}, recorded in the history as client {@code readerId}: puts
     * each final value ("" for none) in {@code finalValues} and returns the ledger's problems with the append keys
     * (all but {@code mixedKey}).
     */
    static List<String> readFinalValues(KvClient reader, List<String> keys, String mixedKey, int readerId,
            HistoryRecorder<KvModel.Input, KvModel.Output> history, AppendLedger ledger,
            Map<String, String> finalValues) {
        List<String> problems = new java.util.ArrayList<>();
        for (String key : keys) {
            long call = history.invoke(readerId, KvModel.Input.get(key));
            GetResult result = reader.get(key);
            String value = result instanceof GetResult.Found found ? found.text() : null;
            history.ok(call, value == null ? KvModel.Output.notFound() : KvModel.Output.value(value));
            finalValues.put(key, value == null ? "" : value);
            if (!key.equals(mixedKey)) {
                problems.addAll(ledger.problems(key, value));
            }
        }
        return problems;
    }

    /** Waits (bounded) until the clients completed {@code count} more operations: the cluster serves. */
    static void awaitProgress(AtomicLong completed, int count, String when) {
        long target = completed.get() + count;
        Eventually.await(count + " more completed operations " + when, Duration.ofSeconds(60),
                () -> completed.get() >= target);
    }
}
