package io.raftkv.raft.runtime;

import io.raftkv.raft.storage.NodeStorage;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * The thread that performs a Ready's synced write (WriteBatch + fsync), so the event loop keeps stepping messages,
 * taking proposals and ticking while the disk works; what arrives meanwhile goes into the next Ready, which is how
 * concurrent proposals come to share one fsync. At most one write is in flight (the core hands out one Ready at a
 * time).
 */
final class Persister implements Runnable, WriteExecutor {
    private final NodeStorage storage;
    private final Inbox loop;
    private final LinkedBlockingQueue<Object> queue = new LinkedBlockingQueue<>();

    Persister(NodeStorage storage, Inbox loop) {
        this.storage = storage;
        this.loop = loop;
    }

    @Override
    public void submit(NodeStorage.PendingWrite write) {
        queue.add(write);
    }

    /** Finishes the write in flight, if any, then ends the thread. */
    void stop() {
        queue.add(Boolean.FALSE);
    }

    @Override
    public void run() {
        try {
            while (true) {
                Object next = queue.take();
                if (!(next instanceof NodeStorage.PendingWrite write)) {
                    return;
                }
                Throwable error = null;
                try {
                    storage.execute(write);
                } catch (Throwable t) {
                    error = t;
                }
                loop.post(new Events.WriteDone(write, error));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
