package io.raftkv.raft.service;

import java.util.ArrayDeque;
import java.util.Deque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a server process opened, closed once in the reverse order of opening, whether the process ends normally or
 * through a shutdown hook (a SIGTERM from {@code docker stop}); a failure to close one piece does not keep the others
 * open.
 */
public final class Resources implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Resources.class);

    private final Deque<AutoCloseable> opened = new ArrayDeque<>();
    private boolean closed;

    public synchronized <T extends AutoCloseable> T add(T resource) {
        if (closed) {
            throw new IllegalStateException("shutting down");
        }
        opened.push(resource);
        return resource;
    }

    @Override
    public synchronized void close() {
        closed = true;
        while (!opened.isEmpty()) {
            AutoCloseable resource = opened.pop();
            try {
                resource.close();
            } catch (Exception e) {
                log.warn("closing {} failed: {}", resource.getClass().getSimpleName(), e.toString());
            }
        }
    }
}
