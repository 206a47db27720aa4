package io.raftkv.kv.server.sim;

import io.raftkv.testkit.linearizability.CheckResult;
import io.raftkv.testkit.linearizability.KvModel;
import io.raftkv.testkit.linearizability.LinearizabilityChecker;
import io.raftkv.testkit.linearizability.Operation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The history of every clerk operation in a simulated run, for the {@link LinearizabilityChecker} (the simulation's
 * counterpart of the test-kit's {@code HistoryRecorder}, which reads the wall clock). An operation is invoked when its
 * clerk starts it and returns when the clerk has its answer; one the clerk gave up on has an unknown outcome and may
 * take effect at any later point.
 *
 * <p>Calls and returns are stamped with a strictly increasing event counter, not virtual time: a clerk starts its next
 * operation in the same virtual instant the last one returned, and equal stamps would make the checker (which orders
 * calls before returns at equal times) treat the two as concurrent, letting a stale read of the clerk's own last write
 * pass. The simulation is sequential, so the counter is exactly the order in which things happened.
 */
final class SimHistory {
    /** The checker's wall-clock budget: generous, since per-key histories of these runs check in milliseconds. */
    private static final Duration CHECK_BUDGET = Duration.ofMinutes(1);

    private final Map<Long, Pending> pending = new LinkedHashMap<>();
    private final List<Operation<KvModel.Input, KvModel.Output>> finished = new ArrayList<>();
    private long nextCall;
    private long nextEvent;
    private long unknownWrites;

    private record Pending(long client, KvModel.Input input, long callTime) {}

    SimHistory() {}

    long invoke(long client, KvModel.Input input) {
        long call = ++nextCall;
        pending.put(call, new Pending(client, input, ++nextEvent));
        return call;
    }

    void ok(long call, KvModel.Output output) {
        Pending started = take(call);
        finished.add(Operation.completed(started.client(), started.input(), output, started.callTime(),
                ++nextEvent));
    }

    /** The clerk gave up: the operation may or may not take effect. */
    void unknown(long call) {
        Pending started = take(call);
        if (started.input().op() != KvModel.Op.GET) {
            unknownWrites++;
        }
        finished.add(Operation.unknown(started.client(), started.input(), started.callTime()));
    }

    /** The operation certainly had no effect (rejected): it is left out. */
    void failed(long call) {
        take(call);
    }

    /** Every operation so far; ones still in flight have unknown outcomes. */
    List<Operation<KvModel.Input, KvModel.Output>> operations() {
        List<Operation<KvModel.Input, KvModel.Output>> all = new ArrayList<>(finished);
        for (Pending started : pending.values()) {
            all.add(Operation.unknown(started.client(), started.input(), started.callTime()));
        }
        return all;
    }

    /** Operations that completed with an answer. */
    int completed() {
        return (int) finished.stream().filter(Operation::outcomeKnown).count();
    }

    /** Writes the clerks gave up on (their effect is unknown). */
    long unknownWrites() {
        return unknownWrites;
    }

    CheckResult checkLinearizable() {
        return LinearizabilityChecker.check(KvModel.INSTANCE, operations(), CHECK_BUDGET);
    }

    private Pending take(long call) {
        Pending started = pending.remove(call);
        if (started == null) {
            throw new IllegalStateException("operation " + call + " was never invoked or already has an outcome");
        }
        return started;
    }
}
