package io.raftkv.kv.state;

import static io.raftkv.kv.state.Feeder.append;
import static io.raftkv.kv.state.Feeder.bytes;
import static io.raftkv.kv.state.Feeder.delete;
import static io.raftkv.kv.state.Feeder.put;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raftkv.kv.plain.PlainKvRules;
import io.raftkv.proto.kv.KvCommand;
import io.raftkv.proto.kv.KvCommandResult;
import io.raftkv.proto.service.ErrorCode;
import io.raftkv.raft.api.StateMachine;
import io.raftkv.raft.core.EntryId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KvStateMachineTest {
    private static final Duration TTL = Duration.ofHours(1);

    @TempDir
    Path dir;

    private static String value(KvStateMachine machine, String key) {
        byte[] value = machine.get(bytes(key));
        return value == null ? null : new String(value, StandardCharsets.UTF_8);
    }

    @Test
    void appliesPutAppendDeleteWithReplies() throws IOException {
        try (KvStateMachine machine = PlainKvRules.openState(dir, TTL)) {
            Feeder feed = new Feeder(machine);
            assertEquals(0, machine.appliedIndex());
            assertEquals(ErrorCode.OK, feed.one(append(1, 1, "k", "a", 1)));
            assertEquals(ErrorCode.OK, feed.one(append(1, 2, "k", "b", 1)));
            assertEquals("ab", value(machine, "k"));
            assertEquals(ErrorCode.OK, feed.one(put(1, 3, "k", "c", 1)));
            assertEquals("c", value(machine, "k"));
            assertEquals(ErrorCode.OK, feed.one(delete(1, 4, "k", 1)));
            assertNull(value(machine, "k"));
            assertEquals(ErrorCode.NO_KEY, feed.one(delete(1, 5, "k", 1)));
            assertEquals(5, machine.appliedIndex());
        }
    }

    @Test
    void writesInOneBatchSeeEachOther() throws IOException {
        try (KvStateMachine machine = PlainKvRules.openState(dir, TTL)) {
            List<KvCommandResult> replies = new Feeder(machine).apply(
                    put(1, 1, "k", "x", 1), append(2, 1, "k", "y", 1), append(3, 1, "k", "z", 1),
                    delete(4, 1, "gone", 1), put(5, 1, "gone", "v", 1), delete(6, 1, "gone", 1));
            assertEquals(List.of(ErrorCode.OK, ErrorCode.OK, ErrorCode.OK, ErrorCode.NO_KEY, ErrorCode.OK,
                    ErrorCode.OK), replies.stream().map(KvCommandResult::getCode).toList());
            assertEquals("xyz", value(machine, "k"));
            assertNull(value(machine, "gone"));
        }
    }

    @Test
    void aRetriedWriteIsAppliedOnceAndGetsTheStoredReply() throws IOException {
        try (KvStateMachine machine = PlainKvRules.openState(dir, TTL)) {
            Feeder feed = new Feeder(machine);
            byte[] first = append(7, 1, "k", "x", 1);
            assertEquals(ErrorCode.OK, feed.one(first));
            // The same command again: in a later batch, and twice within one batch.
            assertEquals(ErrorCode.OK, feed.one(first));
            assertEquals(2, feed.apply(first, first).size());
            assertEquals("x", value(machine, "k"));

            // A delete's stored reply is handed back even though the key is gone now.
            byte[] delete = delete(7, 2, "k", 1);
            assertEquals(ErrorCode.OK, feed.one(delete));
            assertEquals(ErrorCode.OK, feed.one(delete));
            assertEquals(ErrorCode.NO_KEY, feed.one(delete(7, 3, "k", 1)));

            // An older sequence number is not applied either.
            assertEquals(ErrorCode.OK, feed.one(put(7, 4, "k", "new", 1)));
            feed.one(put(7, 2, "k", "stale", 1));
            assertEquals("new", value(machine, "k"));

            // Another client's sequence numbers are its own.
            assertEquals(ErrorCode.OK, feed.one(append(8, 1, "k", "!", 1)));
            assertEquals("new!", value(machine, "k"));
            assertEquals(2, machine.sessionCount());
        }
    }

    @Test
    void appliedIndexDataAndSessionsSurviveReopen() throws IOException {
        byte[] write = append(9, 1, "k", "once", 5);
        try (KvStateMachine machine = PlainKvRules.openState(dir, TTL)) {
            Feeder feed = new Feeder(machine);
            feed.apply(put(1, 1, "a", "1", 5), write);
            assertEquals(2, machine.sync());
        }
        try (KvStateMachine machine = PlainKvRules.openState(dir, TTL)) {
            assertEquals(2, machine.appliedIndex());
            assertEquals("1", value(machine, "a"));
            assertEquals(2, machine.sessionCount());
            new Feeder(machine).apply(write);
            assertEquals("once", value(machine, "k"), "the duplicate table survived the restart");
            assertEquals(3, machine.appliedIndex());
        }
    }

    @Test
    void emptyEntriesAndMalformedCommandsAdvanceTheIndexWithoutChangingData() throws IOException {
        try (KvStateMachine machine = PlainKvRules.openState(dir, TTL)) {
            Feeder feed = new Feeder(machine);
            List<KvCommandResult> replies = feed.apply(new byte[0], new byte[] {(byte) 0xff, 1, 2},
                    put(0, 1, "k", "v", 1), put(1, 0, "k", "v", 1),
                    Feeder.command(1, 1, KvCommand.Op.PUT, new byte[0], bytes("v"), 1),
                    Feeder.command(1, 2, KvCommand.Op.OP_UNSPECIFIED, bytes("k"), bytes("v"), 1));
            assertNull(replies.get(0));
            for (KvCommandResult reply : replies.subList(1, replies.size())) {
                assertEquals(ErrorCode.INVALID_ARGUMENT, reply.getCode(), reply.toString());
                assertTrue(!reply.getMessage().isEmpty());
            }
            assertNull(value(machine, "k"));
            assertEquals(6, machine.appliedIndex());
        }
    }

    @Test
    void anAppendMayNotGrowAValuePastTheStoredLimit() throws IOException {
        try (KvStateMachine machine = PlainKvRules.openState(dir, TTL)) {
            Feeder feed = new Feeder(machine);
            String half = "x".repeat(KvStateMachine.MAX_STORED_VALUE_BYTES / 2);
            assertEquals(ErrorCode.OK, feed.one(put(1, 1, "big", half, 1)));
            assertEquals(ErrorCode.OK, feed.one(append(1, 2, "big", half, 1)));
            KvCommandResult refused = feed.apply(append(1, 3, "big", "y", 1)).get(0);
            assertEquals(ErrorCode.INVALID_ARGUMENT, refused.getCode());
            assertTrue(refused.getMessage().contains("at most " + KvStateMachine.MAX_STORED_VALUE_BYTES),
                    refused.getMessage());
            assertEquals(KvStateMachine.MAX_STORED_VALUE_BYTES, machine.get(bytes("big")).length);
        }
    }

    @Test
    void binaryKeysAndValuesAreKeptExactly() throws IOException {
        byte[] key = {0, 1, (byte) 0xff, 0, 10};
        byte[] value = new byte[256];
        for (int i = 0; i < value.length; i++) {
            value[i] = (byte) i;
        }
        try (KvStateMachine machine = PlainKvRules.openState(dir, TTL)) {
            new Feeder(machine).apply(Feeder.command(1, 1, KvCommand.Op.PUT, key, value, 1));
            assertArrayEquals(value, machine.get(key));
            assertNull(machine.get(new byte[] {0, 1}));
        }
    }

    @Test
    void refusesToApplyAnIndexTwice() throws IOException {
        try (KvStateMachine machine = PlainKvRules.openState(dir, TTL)) {
            machine.apply(List.of(new StateMachine.Command(new EntryId(1, 5), put(1, 1, "k", "v", 1))));
            assertThrows(IllegalArgumentException.class,
                    () -> machine.apply(List.of(new StateMachine.Command(new EntryId(1, 5), put(1, 2, "k", "w", 1)))));
            assertEquals(5, machine.appliedIndex());
        }
    }

    @Test
    void reportsTheAppliedIndexAndSessionsAsGauges() throws IOException {
        try (KvStateMachine machine = PlainKvRules.openState(dir, TTL)) {
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            machine.bindMetrics(registry);
            new Feeder(machine).apply(put(1, 1, "a", "1", 1), put(2, 1, "b", "1", 1), put(2, 2, "b", "2", 1));
            assertEquals(3.0, registry.get("kv.state.applied.index").gauge().value());
            assertEquals(2.0, registry.get("kv.state.sessions").gauge().value());
        }
    }

    @Test
    void readsAfterCloseFailClearly() throws IOException {
        KvStateMachine machine = PlainKvRules.openState(dir, TTL);
        machine.close();
        IllegalStateException error = assertThrows(IllegalStateException.class, () -> machine.get(bytes("k")));
        assertTrue(error.getMessage().contains("closed"));
        machine.close();
    }
}
