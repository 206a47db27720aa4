package io.raftkv.raft.service;

import io.raftkv.proto.service.ClientSession;
import io.raftkv.proto.service.ClientSessionEntry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * The duplicate table of a replicated service: per client, the last sequence number applied and its reply, so that a
 * retried write is answered from here instead of being applied again. It is replicated state: the service persists
 * every change it is told of ({@link Changes}, in the same write as the command's effects) and restores the table
 * from its storage or snapshot ({@link #restore}); this class keeps the in-memory view and the order of activity.
 * Only the apply thread uses it.
 *
 * <p>Sessions expire by the log's clock, never a node's own: a session whose last write is more than the TTL older
 * than the log time of the write being applied is forgotten, at the same log position on every replica. A client
 * that retries one write for longer than the TTL could therefore have it applied twice; clients must give up sooner.
 *
 * <p>A table can {@link #export} its sessions and another can {@link #importSessions} them: a shard that moves to
 * another group takes its sessions along, so that exactly-once holds across the move.
 */
public final class SessionTable {
    /** Where the table's changes go, to be persisted atomically with the write that caused them. */
    public interface Changes {
        void put(long clientId, ClientSession session);

        void delete(long clientId);
    }

    /** A write's effect on the service's state, and its reply; run only for a write its session has not seen. */
    @FunctionalInterface
    public interface Write<E extends Exception> {
        byte[] apply() throws E;
    }

    private record Activity(long lastActiveMillis, long clientId) implements Comparable<Activity> {
        @Override
        public int compareTo(Activity other) {
            int byTime = Long.compare(lastActiveMillis, other.lastActiveMillis);
            return byTime != 0 ? byTime : Long.compareUnsigned(clientId, other.clientId);
        }
    }

    private final long ttlMillis;
    private final Map<Long, ClientSession> byClient = new HashMap<>();
    private final TreeSet<Activity> byActivity = new TreeSet<>();

    public SessionTable(Duration ttl) {
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("the session TTL must be positive, not " + ttl);
        }
        this.ttlMillis = ttl.toMillis();
    }

    /**
     * Whether a request names a client session. Every replicated write must: exactly-once needs the client id and the
     * sequence number, and 0 is neither.
     */
    public static boolean identifies(long clientId, long sequence) {
        return clientId != 0 && sequence != 0;
    }

    /**
     * The exactly-once step every replicated service applies a client's write through, at log time
     * {@code logTimeMillis}: sessions idle past the TTL are forgotten first; a write the session has seen (this
     * sequence or a later one) is answered with the reply recorded for it, and {@code write} does not run; otherwise
     * {@code write} runs and its reply, a refusal included, is recorded, so a retry gets the same answer.
     */
    public <E extends Exception> byte[] applyOnce(long clientId, long sequence, long logTimeMillis, Changes changes,
            Write<E> write) throws E {
        byte[] recorded = appliedReply(clientId, sequence, logTimeMillis, changes);
        if (recorded != null) {
            return recorded;
        }
        byte[] reply = write.apply();
        record(clientId, sequence, reply, logTimeMillis, changes);
        return reply;
    }

    /** Puts a stored session back (when the service loads its state or a snapshot); persists nothing. */
    public void restore(long clientId, ClientSession session) {
        put(clientId, session);
    }

    /**
     * Looks a write up before it is applied at log time {@code logTimeMillis}: first forgets the sessions that have
     * been idle for longer than the TTL, then returns the reply recorded for {@code (clientId, sequence)} if that
     * write, or a later one of the client, was applied already; null if the write is new. Services go through
     * {@link #applyOnce}, which pairs this with {@link #record}.
     */
    byte[] appliedReply(long clientId, long sequence, long logTimeMillis, Changes changes) {
        expire(logTimeMillis, changes);
        ClientSession session = byClient.get(clientId);
        if (session != null && Long.compareUnsigned(sequence, session.getLastSequence()) <= 0) {
            return session.getReply().toByteArray();
        }
        return null;
    }

    /** Records that the client's write {@code sequence} was applied at {@code logTimeMillis} and replied {@code reply}. */
    void record(long clientId, long sequence, byte[] reply, long logTimeMillis, Changes changes) {
        ClientSession session = ClientSession.newBuilder()
                .setLastSequence(sequence)
                .setReply(com.google.protobuf.ByteString.copyFrom(reply))
                .setLastActiveMillis(logTimeMillis)
                .build();
        put(clientId, session);
        changes.put(clientId, session);
    }

    /** Forgets, in memory and in {@code changes}, every session idle for more than the TTL at {@code logTimeMillis}. */
    public void expire(long logTimeMillis, Changes changes) {
        long cutoff = logTimeMillis - ttlMillis;
        while (!byActivity.isEmpty() && byActivity.first().lastActiveMillis() < cutoff) {
            Activity oldest = byActivity.pollFirst();
            byClient.remove(oldest.clientId());
            changes.delete(oldest.clientId());
        }
    }

    /** Every session, ordered by client id (the same bytes on every replica). */
    public List<ClientSessionEntry> export() {
        List<Long> ids = new ArrayList<>(byClient.keySet());
        ids.sort(Long::compareUnsigned);
        List<ClientSessionEntry> out = new ArrayList<>(ids.size());
        for (long id : ids) {
            out.add(ClientSessionEntry.newBuilder().setClientId(id).setSession(byClient.get(id)).build());
        }
        return out;
    }

    /**
     * Takes in sessions exported by another table. Where both know a client, the session with the later sequence
     * wins (the other side may have seen writes this one has not, or the reverse); the winner is persisted.
     */
    public void importSessions(List<ClientSessionEntry> entries, Changes changes) {
        for (ClientSessionEntry entry : entries) {
            ClientSession mine = byClient.get(entry.getClientId());
            ClientSession theirs = entry.getSession();
            if (mine == null || Long.compareUnsigned(theirs.getLastSequence(), mine.getLastSequence()) > 0) {
                put(entry.getClientId(), theirs);
                changes.put(entry.getClientId(), theirs);
            }
        }
    }

    public int size() {
        return byClient.size();
    }

    private void put(long clientId, ClientSession session) {
        ClientSession previous = byClient.put(clientId, session);
        if (previous != null) {
            byActivity.remove(new Activity(previous.getLastActiveMillis(), clientId));
        }
        byActivity.add(new Activity(session.getLastActiveMillis(), clientId));
    }
}
