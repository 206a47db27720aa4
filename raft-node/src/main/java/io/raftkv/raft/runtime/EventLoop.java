package io.raftkv.raft.runtime;

import io.raftkv.proto.raft.Message;
import io.raftkv.raft.core.RaftStatus;
import java.io.IOException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's event loop: the one thread that calls the {@link CoreDriver}. Each turn it drains its {@link Inbox} (peer
 * messages, proposals, read barriers, completions from other node threads) into the driver, ticks the driver when a
 * tick is due, and lets it handle the next Ready. It parks when there is nothing to do; nothing in it sleeps or polls.
 * With async persist, the {@link Persister} thread runs the synced writes and posts their completion back here.
 */
final class EventLoop implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(EventLoop.class);
    private static final int MAX_EVENTS_PER_TURN = 8192;

    private final String id;
    private final long tickNanos;
    private final CoreDriver driver;
    private final Inbox inbox;
    private volatile boolean stopping;
    private Consumer<Throwable> onExit = t -> { };

    EventLoop(String id, long tickNanos, CoreDriver driver, Inbox inbox) {
        this.id = id;
        this.tickNanos = tickNanos;
        this.driver = driver;
        this.inbox = inbox;
    }

    @Override
    public void run() {
        Throwable failure = null;
        try {
            long nextTick = System.nanoTime() + tickNanos;
            while (!stopping) {
                drain();
                if (stopping) {
                    break;
                }
                long now = System.nanoTime();
                if (now - nextTick >= 0) {
                    driver.tick();
                    nextTick += tickNanos;
                    if (nextTick - now < 0) {
                        nextTick = now + tickNanos; // we fell behind: do not tick in a burst
                    }
                }
                if (driver.process()) {
                    continue; // look at the inbox again before taking the next Ready
                }
                inbox.awaitWork(nextTick);
                if (Thread.currentThread().isInterrupted()) {
                    stopping = true; // nobody interrupts the loop but a JVM tearing down: stop cleanly
                }
            }
        } catch (Throwable t) {
            failure = t;
            LOG.error("{}: the event loop failed", id, t);
        } finally {
            shutDown(failure);
        }
    }

    void stop() {
        stopping = true;
        inbox.post(new Events.Stop());
    }

    /** Called on the loop thread as it exits (null if it stopped normally). */
    void onExit(Consumer<Throwable> callback) {
        this.onExit = callback;
    }

    /** The core's status; on the loop thread only. */
    RaftStatus coreStatus() {
        return driver.coreStatus();
    }

    private void drain() throws IOException {
        Object event;
        int handled = 0;
        while (handled++ < MAX_EVENTS_PER_TURN && (event = inbox.poll()) != null) {
            switch (event) {
                case Message m -> driver.step(m);
                case PendingProposal p -> driver.propose(p);
                case Events.Read r -> driver.read(r);
                case Events.Transfer t -> driver.transfer(t);
                case Events.ChangeMembership c -> driver.changeMembership(c);
                case Events.WriteDone w -> driver.writeDone(w.write(), w.error());
                case Events.SnapshotArrived s -> driver.snapshotArrived(s);
                case Events.SnapshotSent s -> driver.snapshotSent(s.peer(), s.success());
                case Events.Unreachable u -> driver.unreachable(u.peer());
                case Events.Synced s -> driver.synced(s.index());
                case Events.Captured c -> driver.captured(c.file());
                case Events.Call<?> c -> call(c);
                case Events.Stop s -> stopping = true;
                case Events.Fatal f -> throw new IllegalStateException("a node thread failed: " + f.error(),
                        f.error());
                default -> throw new IllegalStateException("unknown event " + event);
            }
        }
    }

    private <T> void call(Events.Call<T> c) {
        try {
            c.future().complete(c.function().get());
        } catch (RuntimeException e) {
            c.future().completeExceptionally(e);
        }
    }

    private void shutDown(Throwable failure) {
        String why = failure == null ? "the node is shutting down" : "the node failed: " + failure;
        IllegalStateException error = new IllegalStateException("raft node " + id + ": " + why, failure);
        driver.failAll(why, error);
        // Requests still in the inbox will never be looked at: answer them.
        Object event;
        while ((event = inbox.poll()) != null) {
            switch (event) {
                case PendingProposal p -> p.refuse(error);
                case Events.Read r -> r.future().completeExceptionally(error);
                case Events.Transfer t -> t.future().completeExceptionally(error);
                case Events.ChangeMembership c -> c.future().completeExceptionally(error);
                case Events.Call<?> c -> c.future().completeExceptionally(error);
                case Events.SnapshotArrived s -> driver.discardArrived(s.file());
                default -> {
                }
            }
        }
        onExit.accept(failure);
    }
}
