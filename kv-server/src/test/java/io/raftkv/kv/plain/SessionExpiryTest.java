package io.raftkv.kv.plain;

import static io.raftkv.kv.state.Feeder.append;
import static io.raftkv.kv.state.Feeder.bytes;
import static io.raftkv.kv.state.Feeder.put;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.kv.state.Feeder;
import io.raftkv.kv.state.KvStateMachine;
import io.raftkv.proto.kv.KvCommandResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Client sessions expire by the clock carried in the log, the same way on every node, and the table stays bounded. */
class SessionExpiryTest {
    private static final long TTL_MILLIS = 60_000;
    private static final Duration TTL = Duration.ofMillis(TTL_MILLIS);

    @TempDir
    Path dir;

    @Test
    void aSessionIsForgottenOnceTheLogClockPassesItsTtl() throws IOException {
        // Timestamps far from today's wall clock: only the log's clock matters.
        long t0 = 1_000_000;
        try (KvStateMachine machine = PlainKvRules.openState(dir.resolve("a"), TTL)) {
            Feeder feed = new Feeder(machine);
            byte[] write = append(1, 1, "k", "x", t0);
            feed.apply(write);
            feed.apply(put(2, 1, "other", "v", t0 + TTL_MILLIS));
            assertEquals(2, machine.sessionCount(), "exactly at the TTL the session is still remembered");
            feed.apply(write);
            assertEquals("x", string(machine.get(bytes("k"))));

            feed.apply(put(2, 2, "other", "v", t0 + TTL_MILLIS + 1));
            assertEquals(1, machine.sessionCount(), "client 1 expired");
            // Which is why clients must not retry for longer than the TTL: the retry now applies again.
            feed.apply(write);
            assertEquals("xx", string(machine.get(bytes("k"))));
        }
    }

    @Test
    void theLogClockNeverGoesBack() throws IOException {
        long t0 = 5_000_000;
        try (KvStateMachine machine = PlainKvRules.openState(dir, TTL)) {
            Feeder feed = new Feeder(machine);
            feed.apply(put(1, 1, "a", "1", t0));
            feed.apply(put(2, 1, "b", "1", t0 + 2 * TTL_MILLIS));
            assertEquals(1, machine.sessionCount());
            // A leader with a slow clock proposes an old timestamp: client 1 does not come back, and client 3's
            // session counts from the log's clock, not from its own stamp.
            feed.apply(put(3, 1, "c", "1", t0));
            assertEquals(2, machine.sessionCount());
            feed.apply(put(4, 1, "d", "1", t0 + 2 * TTL_MILLIS + TTL_MILLIS));
            assertEquals(3, machine.sessionCount(), "client 3 was active at log time t0+2TTL, not t0");
        }
    }

    @Test
    void expiryDoesNotDependOnHowCommandsAreBatched() throws IOException {
        List<byte[]> commands = new ArrayList<>();
        Random random = new Random(7);
        long time = 1_000_000;
        long[] sequences = new long[40];
        for (int i = 0; i < 3_000; i++) {
            int client = random.nextInt(sequences.length);
            time += random.nextInt(200);
            // Now and then a retry of the client's previous write.
            long seq = random.nextInt(10) == 0 && sequences[client] > 0 ? sequences[client] : ++sequences[client];
            commands.add(append(client + 1, seq, "k" + random.nextInt(5), "<" + client + "." + seq + ">", time));
        }
        List<String> outcomes = new ArrayList<>();
        for (int batchSize : new int[] {1, 7, 3_000}) {
            try (KvStateMachine machine = PlainKvRules.openState(dir.resolve("batch" + batchSize),
                    Duration.ofMillis(5_000))) {
                Feeder feed = new Feeder(machine);
                StringBuilder replies = new StringBuilder();
                int fewestSessions = Integer.MAX_VALUE;
                for (int start = 0; start < commands.size(); start += batchSize) {
                    List<byte[]> batch = commands.subList(start, Math.min(commands.size(), start + batchSize));
                    for (KvCommandResult result : feed.apply(batch.toArray(byte[][]::new))) {
                        replies.append(result.getCode().getNumber());
                    }
                    if (start > 1_000) {
                        fewestSessions = Math.min(fewestSessions, machine.sessionCount());
                    }
                }
                if (batchSize == 1) {
                    assertTrue(fewestSessions < sequences.length, "some sessions expired along the way");
                }
                StringBuilder state = new StringBuilder(replies).append('|').append(machine.sessionCount());
                for (int k = 0; k < 5; k++) {
                    state.append('|').append(string(machine.get(bytes("k" + k))));
                }
                outcomes.add(state.toString());
            }
        }
        assertEquals(outcomes.get(0), outcomes.get(1));
        assertEquals(outcomes.get(0), outcomes.get(2));
    }

    @Test
    void theTableStaysBoundedWhenClientsComeAndGo() throws IOException {
        try (KvStateMachine machine = PlainKvRules.openState(dir, TTL)) {
            Feeder feed = new Feeder(machine);
            // 10,000 one-shot clients (as kv CLI invocations are), one per second of log time.
            int most = 0;
            for (int client = 1; client <= 10_000; client++) {
                feed.apply(put(client, 1, "k", "v" + client, client * 1_000L));
                most = Math.max(most, machine.sessionCount());
            }
            assertTrue(most <= TTL_MILLIS / 1_000 + 1, "at most a TTL's worth of clients, not " + most);
        }
    }

    @Test
    void sessionsAndTheLogClockSurviveReopen() throws IOException {
        long t0 = 9_000_000;
        try (KvStateMachine machine = PlainKvRules.openState(dir, TTL)) {
            new Feeder(machine).apply(put(1, 1, "a", "1", t0), put(2, 1, "b", "1", t0 + TTL_MILLIS));
        }
        try (KvStateMachine machine = PlainKvRules.openState(dir, TTL)) {
            assertEquals(2, machine.sessionCount());
            // A command stamped earlier than the saved clock cannot move it back: client 1 still expires on the
            // next step past t0 + TTL.
            Feeder feed = new Feeder(machine);
            feed.apply(put(3, 1, "c", "1", t0));
            assertEquals(3, machine.sessionCount());
            feed.apply(put(3, 2, "c", "2", t0 + TTL_MILLIS + 1));
            assertEquals(2, machine.sessionCount());
        }
    }

    private static String string(byte[] value) {
        return value == null ? null : new String(value, StandardCharsets.UTF_8);
    }
}
