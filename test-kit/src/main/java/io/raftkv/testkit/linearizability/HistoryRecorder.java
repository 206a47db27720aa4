package io.raftkv.testkit.linearizability;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Records a concurrent history for the {@link LinearizabilityChecker}; any number of client threads may record at
 * once. Times come from {@link System#nanoTime()}, taken just before the request is sent and just after its answer
 * arrives.
 *
 * <pre>{@code
 * long call = recorder.invoke(clientId, KvModel.Input.put("k", "v"));
 * try {
 *     clerk.put("k", "v");
 *     recorder.ok(call, KvModel.Output.ok());
 * } catch (KvUnavailableException e) {
 *     recorder.unknown(call);   // timed out: may or may not have taken effect
 * } catch (KvInvalidArgumentException e) {
 *     recorder.failed(call);    // rejected: certainly no effect
 * }
 * }</pre>
 */
public final class HistoryRecorder<I, O> {
    private final AtomicLong nextCall = new AtomicLong();
    private final Map<Long, Pending<I>> pending = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Operation<I, O>> finished = new ConcurrentLinkedQueue<>();

    private record Pending<I>(long clientId, I input, long callTime) {}

    /** Records the invocation of an operation now; returns the handle to report its outcome with. */
    public long invoke(long clientId, I input) {
        long call = nextCall.incrementAndGet();
        pending.put(call, new Pending<>(clientId, input, System.nanoTime()));
        return call;
    }

    /** The operation completed with {@code output}. */
    public void ok(long call, O output) {
        long now = System.nanoTime();
        Pending<I> started = take(call);
        finished.add(Operation.completed(started.clientId(), started.input(), output, started.callTime(), now));
    }

    /** The operation's outcome is unknown (it timed out, or the client gave up): it may or may not take effect. */
    public void unknown(long call) {
        Pending<I> started = take(call);
        finished.add(Operation.unknown(started.clientId(), started.input(), started.callTime()));
    }

    /** The operation certainly had no effect (it was rejected, or a read failed): it is left out of the history. */
    public void failed(long call) {
        take(call);
    }

    /** Every operation recorded so far; operations still in flight are included with an unknown outcome. */
    public List<Operation<I, O>> history() {
        List<Operation<I, O>> history = new ArrayList<>(finished);
        for (Pending<I> started : pending.values()) {
            history.add(Operation.unknown(started.clientId(), started.input(), started.callTime()));
        }
        return history;
    }

    /** How many operations have been invoked. */
    public long size() {
        return nextCall.get();
    }

    private Pending<I> take(long call) {
        Pending<I> started = pending.remove(call);
        if (started == null) {
            throw new IllegalStateException("operation " + call + " was never invoked or already has an outcome");
        }
        return started;
    }
}
