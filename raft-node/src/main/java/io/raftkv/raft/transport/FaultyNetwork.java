package io.raftkv.raft.transport;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.raftkv.common.faults.NetworkFaults;
import io.raftkv.proto.raft.Message;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One group's messages sent through the network faults a test set ({@link NetworkFaults}): lost, duplicated,
 * delayed or reordered on their way into the peer's link. Only built when the process has faults configured; the
 * timer thread that delivers late messages starts with the first one.
 */
final class FaultyNetwork implements AutoCloseable {
    private final NetworkFaults faults;
    private final String name;
    private final Counter lost;
    private final Counter duplicated;
    private final Counter delayed;
    private ScheduledExecutorService timer;
    private boolean closed;

    FaultyNetwork(NetworkFaults faults, String name, MeterRegistry registry) {
        this.faults = faults;
        this.name = name;
        this.lost = counter(registry, "lost");
        this.duplicated = counter(registry, "duplicated");
        this.delayed = counter(registry, "delayed");
    }

    private static Counter counter(MeterRegistry registry, String fault) {
        return Counter.builder("raft.transport.injected.faults").tag("fault", fault)
                .description("Messages to peers that a test's network faults lost, duplicated or delayed")
                .register(registry);
    }

    /** Whether this node's peers cannot hear it now (its snapshots do not get through either). */
    boolean silenced() {
        return faults.current().oneWay();
    }

    /**
     * Queues {@code message} on {@code link} as the faults in force decide. Returns true whether or not it is
     * delivered: like a network, the faults never tell the sender.
     */
    boolean send(PeerLink link, Message message) {
        NetworkFaults.Spec spec = faults.current();
        if (spec.clean()) {
            return link.enqueue(message);
        }
        long[] delays = NetworkFaults.fate(spec);
        if (delays.length == 0) {
            lost.increment();
            return true;
        }
        if (delays.length > 1) {
            duplicated.increment();
        }
        for (long delay : delays) {
            if (delay == 0) {
                link.enqueue(message); // the caller flushes
            } else {
                delayed.increment();
                later(delay, () -> {
                    if (link.enqueue(message)) {
                        link.flush();
                    }
                });
            }
        }
        return true;
    }

    private synchronized void later(long nanos, Runnable delivery) {
        if (closed) {
            return;
        }
        if (timer == null) {
            timer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "raft-" + name + "-network-faults");
                t.setDaemon(true);
                return t;
            });
        }
        try {
            timer.schedule(delivery, nanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            // closing
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (timer != null) {
            timer.shutdownNow();
        }
    }
}
