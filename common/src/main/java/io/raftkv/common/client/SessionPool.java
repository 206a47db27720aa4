package io.raftkv.common.client;

import java.security.SecureRandom;
import java.util.Deque;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * Client sessions for exactly-once writes: each is a random 64-bit client id and its last sequence number.
 *
 * <p>The servers keep one last sequence per client id, so a session must never have two writes in flight: each
 * concurrent caller borrows its own session and gives it back when its write has ended (however it ended). A pool
 * can be shared by several {@link LeaderSeekingClient}s (one per replica group), so a client id and its sequence
 * follow a write wherever it goes. Thread-safe.
 */
public final class SessionPool {
    private final Deque<Session> idle = new ConcurrentLinkedDeque<>();
    private final SecureRandom random = new SecureRandom();

    /** A client id and its last sequence number; used by one caller at a time. */
    public static final class Session {
        private final long clientId;
        private long lastSequence;

        private Session(long clientId) {
            this.clientId = clientId;
        }

        public long clientId() {
            return clientId;
        }

        /** The sequence number of the session's next write; every retry of that write reuses it. */
        public long nextSequence() {
            return ++lastSequence;
        }
    }

    /** An idle session (the most recently used, to keep the servers' session tables small), or a new one. */
    public Session borrow() {
        Session session = idle.pollFirst();
        if (session != null) {
            return session;
        }
        long clientId;
        do {
            clientId = random.nextLong();
        } while (clientId == 0); // 0 means "no session" on the wire
        return new Session(clientId);
    }

    public void giveBack(Session session) {
        idle.offerFirst(session);
    }
}
