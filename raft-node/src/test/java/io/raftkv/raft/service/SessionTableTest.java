package io.raftkv.raft.service;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.raftkv.proto.service.ClientSession;
import io.raftkv.proto.service.ClientSessionEntry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The session table as a service's state machine uses it: a tiny counter service that applies "add" writes through
 * the table, so that a write applied twice shows in the total.
 */
class SessionTableTest {
    private static final Duration TTL = Duration.ofMinutes(10);

    /** What a service persists: the table's changes, as a store of sessions by client id. */
    private static final class Stored implements SessionTable.Changes {
        final Map<Long, ClientSession> sessions = new TreeMap<>();
        int deletes;

        @Override
        public void put(long clientId, ClientSession session) {
            sessions.put(clientId, session);
        }

        @Override
        public void delete(long clientId) {
            sessions.remove(clientId);
            deletes++;
        }
    }

    /** A replicated counter: each write adds to a total, exactly once per (client, sequence). */
    private static final class Counter {
        final SessionTable table = new SessionTable(TTL);
        final Stored stored = new Stored();
        long total;

        int executed;

        /** A negative add is refused, and the refusal is the write's reply like any other. */
        byte[] apply(long clientId, long sequence, int add, long logTime) {
            return table.applyOnce(clientId, sequence, logTime, stored, () -> {
                executed++;
                if (add < 0) {
                    return "refused: a negative add".getBytes(StandardCharsets.UTF_8);
                }
                total += add;
                return ("total=" + total).getBytes(StandardCharsets.UTF_8);
            });
        }
    }

    @Test
    void aRetriedWriteIsAppliedOnceAndAnsweredWithItsFirstReply() {
        Counter counter = new Counter();
        byte[] first = counter.apply(7, 1, 5, 1_000);
        byte[] retry = counter.apply(7, 1, 5, 1_500);
        assertEquals(5, counter.total);
        assertArrayEquals(first, retry);
        byte[] second = counter.apply(7, 2, 3, 2_000);
        assertEquals(8, counter.total);
        // Only the last reply is kept: a client never retries a write older than its last one.
        assertArrayEquals(second, counter.apply(7, 1, 5, 2_500), "an older sequence is a duplicate too");
        assertEquals(8, counter.total);
        counter.apply(8, 1, 1, 3_000);
        assertEquals(9, counter.total, "another client's sequence 1 is its own");
    }

    @Test
    void sessionsMovedToAnotherTableKeepExactlyOnce() {
        Counter source = new Counter();
        source.apply(1, 1, 10, 1_000);
        source.apply(2, 1, 20, 1_000);
        source.apply(2, 2, 30, 1_100);
        List<ClientSessionEntry> exported = source.table.export();
        assertEquals(List.of(1L, 2L), exported.stream().map(ClientSessionEntry::getClientId).toList());

        Counter target = new Counter();
        target.total = source.total; // the data moves with the sessions
        target.table.importSessions(exported, target.stored);
        assertEquals(source.stored.sessions, target.stored.sessions, "the imported sessions are persisted");

        byte[] retry = target.apply(2, 2, 30, 1_200);
        assertEquals(60, target.total, "a retry of a write applied before the move is not applied again");
        assertEquals("total=60", new String(retry, StandardCharsets.UTF_8));
        target.apply(2, 3, 1, 1_300);
        assertEquals(61, target.total);
    }

    @Test
    void aRefusalIsRecordedSoARetryIsRefusedAgainWithoutRunningTheWrite() {
        Counter counter = new Counter();
        byte[] refused = counter.apply(3, 1, -1, 1_000);
        assertEquals("refused: a negative add", new String(refused, StandardCharsets.UTF_8));
        // The retry carries the same sequence; were it run again, a changed request could now succeed.
        assertArrayEquals(refused, counter.apply(3, 1, 5, 1_001));
        assertEquals(1, counter.executed);
        assertEquals(0, counter.total);
        assertEquals("total=5", new String(counter.apply(3, 2, 5, 1_002), StandardCharsets.UTF_8));
    }

    @Test
    void aRequestIdentifiesASessionOnlyWithBothAClientIdAndASequence() {
        assertEquals(true, SessionTable.identifies(1, 1));
        assertEquals(false, SessionTable.identifies(0, 1));
        assertEquals(false, SessionTable.identifies(1, 0));
        assertEquals(true, SessionTable.identifies(-1, -1), "ids are unsigned 64-bit numbers");
    }

    @Test
    void anImportKeepsTheLaterOfTwoSessions() {
        Counter older = new Counter();
        older.apply(5, 1, 1, 1_000);
        Counter newer = new Counter();
        newer.apply(5, 1, 1, 1_000);
        newer.apply(5, 2, 1, 1_100);
        newer.table.importSessions(older.table.export(), newer.stored);
        assertEquals(2, newer.stored.sessions.get(5L).getLastSequence(), "an older session overwrote a newer one");
        older.table.importSessions(newer.table.export(), older.stored);
        assertEquals(2, older.stored.sessions.get(5L).getLastSequence());
        assertNull(older.table.appliedReply(5, 3, 1_200, older.stored));
    }

    @Test
    void idleSessionsExpireByLogTimeAtTheSamePositionOnEveryReplica() {
        SplittableRandom random = new SplittableRandom(42);
        List<long[]> writes = new ArrayList<>();
        long logTime = 0;
        for (int i = 0; i < 2_000; i++) {
            logTime += random.nextLong(0, 60_000);
            writes.add(new long[] {random.nextLong(1, 50), i + 1, logTime});
        }
        Counter one = new Counter();
        Counter two = new Counter();
        for (long[] w : writes) {
            one.apply(w[0], w[1], 1, w[2]);
            two.apply(w[0], w[1], 1, w[2]);
            assertEquals(one.stored.sessions, two.stored.sessions, "replicas differ after write " + w[1]);
        }
        assertEquals(2_000, one.total);
        assertEquals(one.table.export(), two.table.export());
        assertEquals(true, one.stored.deletes > 0, "no session expired: the test does not exercise expiry");

        // A client idle past the TTL has no session any more: its old sequence is new again.
        Counter counter = new Counter();
        counter.apply(9, 1, 1, 0);
        counter.apply(10, 1, 1, TTL.toMillis() + 1);
        assertEquals(1, counter.table.size());
        assertNull(counter.table.appliedReply(9, 1, TTL.toMillis() + 2, counter.stored));
    }
}
