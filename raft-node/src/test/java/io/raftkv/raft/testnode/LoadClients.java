package io.raftkv.raft.testnode;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The client threads of a process test. A client that dies of an exception must fail the test: a silently dead
 * client would leave the cluster idle during the faults it was meant to load.
 */
final class LoadClients implements AutoCloseable {
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<Thread> threads = new ArrayList<>();
    private final ConcurrentLinkedQueue<Throwable> deaths = new ConcurrentLinkedQueue<>();

    /** One client's loop: runs until {@code stop} is set. */
    interface Client {
        void run(int number, AtomicBoolean stop);
    }

    /** Starts {@code count} clients, numbered from 0, that run until {@link #close}. */
    static LoadClients start(int count, Client client) {
        LoadClients clients = new LoadClients();
        for (int t = 0; t < count; t++) {
            int number = t;
            Thread thread = new Thread(() -> client.run(number, clients.stop), "client-" + t);
            thread.setUncaughtExceptionHandler((dead, error) -> clients.deaths.add(error));
            thread.start();
            clients.threads.add(thread);
        }
        return clients;
    }

    /** Fails now if a client has died (call it between fault phases to stop early). */
    void assertAlive() {
        Throwable death = deaths.peek();
        if (death != null) {
            throw new AssertionError("a load client died", death);
        }
    }

    /** Stops and joins every client, then fails if any of them died. */
    @Override
    public void close() throws InterruptedException {
        stop.set(true);
        for (Thread thread : threads) {
            thread.join();
        }
        assertAlive();
    }
}
