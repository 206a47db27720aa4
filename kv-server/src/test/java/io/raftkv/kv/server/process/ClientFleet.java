package io.raftkv.kv.server.process;

import io.raftkv.kv.client.KvClient;
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
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The recording clients of a process test, each a {@link HistoryClient} on its own thread, sharing one history and
 * one append ledger: started one by one, stopped together, and their history checked at the end. Closing stops them
 * (if the test ended early) and closes their clients.
 */
final class ClientFleet implements AutoCloseable {
    private final List<String> appendKeys;
    private final String mixedKey;
    private final HistoryRecorder<KvModel.Input, KvModel.Output> history = new HistoryRecorder<>();
    private final AppendLedger ledger = new AppendLedger();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicLong completed = new AtomicLong();
    private final List<KvClient> kvClients = new ArrayList<>();
    private final List<HistoryClient> clients = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();

    ClientFleet(List<String> appendKeys, String mixedKey) {
        this.appendKeys = List.copyOf(appendKeys);
        this.mixedKey = mixedKey;
    }

    /** Starts one more recording client on {@code client} (closed with the fleet). */
    void start(KvClient client, int maxOps, Duration pace) {
        kvClients.add(client);
        HistoryClient recorder = new HistoryClient(clients.size(), client, appendKeys, mixedKey, history, ledger,
                stop, completed, maxOps, pace, 16);
        clients.add(recorder);
        Thread thread = new Thread(recorder, "history-client-" + threads.size());
        thread.start();
        threads.add(thread);
    }

    /** Waits (bounded) until the clients completed {@code count} more operations. */
    void awaitProgress(int count, String when) {
        HistoryClient.awaitProgress(completed, count, when);
    }

    long completed() {
        return completed.get();
    }

    AppendLedger ledger() {
        return ledger;
    }

    /**
     * Stops the clients (failing if one failed), reads every key once more through {@code reader} as the history's
     * last operations, and checks the history; returns the verdict and the ledger's problems.
     */
    Verdict stopAndCheck(KvClient reader) throws InterruptedException {
        HistoryClient.stopAll(stop, threads, clients);
        List<String> keys = new ArrayList<>(appendKeys);
        keys.add(mixedKey);
        Map<String, String> finalValues = new HashMap<>();
        List<String> problems = HistoryClient.readFinalValues(reader, keys, mixedKey, clients.size(), history, ledger,
                finalValues);
        List<Operation<KvModel.Input, KvModel.Output>> ops =
                HistoryClient.withoutUnappliedAppends(history.history(), finalValues, appendKeys);
        return new Verdict(ops.size(), LinearizabilityChecker.check(KvModel.INSTANCE, ops, Duration.ofSeconds(90)),
                problems);
    }

    /** What the check found: the operations checked, the checker's verdict, and the appends lost or doubled. */
    record Verdict(int operations, CheckResult linearizability, List<String> appendProblems) {}

    @Override
    public void close() throws InterruptedException {
        stop.set(true);
        for (Thread thread : threads) {
            thread.join(Duration.ofSeconds(30));
        }
        kvClients.forEach(KvClient::close);
    }
}
