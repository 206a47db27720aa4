package io.raftkv.raft.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.raftkv.proto.raft.ConfState;
import io.raftkv.proto.raft.Entry;
import io.raftkv.proto.raft.Message;
import io.raftkv.proto.raft.MessageType;
import io.raftkv.proto.raft.SnapshotMetadata;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SnapshotTest {
    private static final List<String> THREE = List.of("n1", "n2", "n3");
    private static final ConfState CONF = ConfState.newBuilder().addAllVoters(THREE).build();

    private static Message snapshot(long index, long term, long leaderTerm) {
        return Message.newBuilder().setType(MessageType.MSG_SNAPSHOT).setFrom("n1").setTo("n2").setTerm(leaderTerm)
                .setSnapshot(SnapshotMetadata.newBuilder().setIndex(index).setTerm(term).setConfState(CONF)).build();
    }

    @Test
    void aFollowerBehindTheFirstIndexGetsASnapshotThenEntries() {
        LocalCluster c = new LocalCluster(3);
        c.elect("n1");
        c.isolate("n3");
        for (int i = 0; i < 30; i++) {
            c.propose("n1", "cmd" + i);
        }
        c.tickAll(1);
        long applied = c.node("n1").status().appliedIndex();
        c.storages.get("n1").compact(applied, CONF);
        c.heal();
        c.tickAll(2);
        assertEquals(1, c.count(MessageType.MSG_SNAPSHOT));
        assertEquals(applied, c.storages.get("n3").snapshotMetadata().getIndex());
        c.propose("n1", "after");
        c.tickAll(1);
        assertEquals(c.node("n1").status().lastIndex(), c.node("n3").status().lastIndex());
        assertEquals(c.node("n1").status().commitIndex(), c.node("n3").status().commitIndex());
    }

    @Test
    void aSnapshotIsInstalledBeforeLaterEntriesAreApplied() {
        MemoryStorage s = new MemoryStorage(CONF);
        RawNode n2 = new RawNode(RaftConfig.builder("n2", THREE).build(), s, new SplittableRandom(1));
        n2.step(snapshot(10, 2, 2));
        n2.step(Message.newBuilder().setType(MessageType.MSG_APPEND).setFrom("n1").setTo("n2").setTerm(2)
                .setIndex(10).setLogTerm(2).setCommit(11)
                .addEntries(Entry.newBuilder().setIndex(11).setTerm(2).setData(ByteString.copyFromUtf8("x")))
                .build());
        Ready rd = n2.ready();
        assertNotNull(rd.snapshot());
        assertEquals(10, rd.snapshot().getIndex());
        assertTrue(rd.committedEntries().isEmpty(), "entries after a snapshot wait for it to be installed");
        assertEquals(1, rd.entries().size());
        s.applySnapshot(rd.snapshot());
        s.append(rd.entries());
        s.setHardState(rd.hardState());
        n2.advance(rd);
        Ready next = n2.ready();
        assertEquals(List.of(11L), next.committedEntries().stream().map(Entry::getIndex).toList());
    }

    @Test
    void aSnapshotAtOrBelowTheCommitIndexIsRefused() {
        MemoryStorage s = new MemoryStorage(CONF);
        RawNode n2 = new RawNode(RaftConfig.builder("n2", THREE).build(), s, new SplittableRandom(1));
        n2.step(snapshot(10, 2, 2));
        Ready rd = n2.ready();
        s.applySnapshot(rd.snapshot());
        s.setHardState(rd.hardState());
        n2.advance(rd);
        n2.step(snapshot(8, 2, 2)); // older
        n2.step(snapshot(10, 2, 2)); // the same one again (a duplicate)
        Ready again = n2.ready();
        assertNull(again.snapshot());
        List<Message> acks = again.messagesAfterPersist();
        assertEquals(2, acks.size());
        assertTrue(acks.stream().allMatch(m -> m.getType() == MessageType.MSG_APPEND_RESPONSE && m.getIndex() == 10));
    }

    @Test
    void aSnapshotOfEntriesAlreadyHeldOnlyAdvancesTheCommitIndex() {
        MemoryStorage s = new MemoryStorage(CONF);
        s.append(List.of(Entry.newBuilder().setIndex(1).setTerm(1).build(),
                Entry.newBuilder().setIndex(2).setTerm(1).build()));
        RawNode n2 = new RawNode(RaftConfig.builder("n2", THREE).build(), s, new SplittableRandom(1));
        n2.step(snapshot(2, 1, 1));
        Ready rd = n2.ready();
        assertNull(rd.snapshot());
        assertEquals(2, rd.hardState().getCommit());
        assertEquals(2, rd.committedEntries().size());
    }

    @Test
    void aSnapshotTemporarilyUnavailableIsRetriedLater() {
        LocalCluster c = new LocalCluster(3);
        MemoryStorage real = c.storages.get("n1");
        boolean[] available = {false};
        LogStorage flaky = new LogStorage() {
            @Override
            public InitialState initialState() {
                return real.initialState();
            }

            @Override
            public long firstIndex() {
                return real.firstIndex();
            }

            @Override
            public long lastIndex() {
                return real.lastIndex();
            }

            @Override
            public long term(long index) {
                return real.term(index);
            }

            @Override
            public List<Entry> entries(long lo, long hi, long maxBytes) {
                return real.entries(lo, hi, maxBytes);
            }

            @Override
            public Optional<SnapshotMetadata> snapshot() {
                return available[0] ? real.snapshot() : Optional.empty();
            }
        };
        c.nodes.put("n1", new RawNode(RaftConfig.builder("n1", THREE).build(), flaky, new SplittableRandom(9)));
        c.elect("n1");
        c.isolate("n3");
        for (int i = 0; i < 5; i++) {
            c.propose("n1", "cmd" + i);
        }
        c.tickAll(1);
        real.compact(c.node("n1").status().appliedIndex(), CONF);
        c.heal();
        c.tickAll(3);
        assertEquals(0, c.count(MessageType.MSG_SNAPSHOT));
        available[0] = true;
        c.tickAll(3);
        assertEquals(1, c.count(MessageType.MSG_SNAPSHOT));
        assertEquals(c.node("n1").status().commitIndex(), c.node("n3").status().commitIndex());
    }
}
