package io.raftkv.raft.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.proto.raft.ConfState;
import io.raftkv.proto.raft.Entry;
import io.raftkv.proto.raft.HardState;
import io.raftkv.proto.raft.Message;
import io.raftkv.proto.raft.MessageType;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RawNodeContractTest {
    private static final List<String> THREE = List.of("n1", "n2", "n3");

    @Test
    void onlyOneReadyIsOutstanding() {
        RawNode n = new RawNode(RaftConfig.builder("n1", THREE).build(), new MemoryStorage(), new SplittableRandom(1));
        n.campaign();
        Ready rd = n.ready();
        assertFalse(n.hasReady());
        assertThrows(IllegalStateException.class, n::ready);
        assertThrows(IllegalStateException.class, () -> n.advance(null));
        n.advance(rd);
        assertThrows(IllegalStateException.class, () -> n.advance(rd));
    }

    @Test
    void softAndHardStateAreReportedOnlyWhenTheyChange() {
        MemoryStorage s = new MemoryStorage();
        RawNode n = new RawNode(RaftConfig.builder("n1", THREE).preVote(false).build(), s, new SplittableRandom(1));
        assertFalse(n.hasReady());
        n.campaign();
        Ready rd = n.ready();
        assertEquals(new SoftState(Role.CANDIDATE, ""), rd.softState());
        assertEquals(1, rd.hardState().getTerm());
        assertEquals("n1", rd.hardState().getVote());
        assertTrue(rd.messages().isEmpty(), "vote requests wait until the self-vote is durable");
        assertEquals(2, rd.messagesAfterPersist().size());
        s.setHardState(rd.hardState());
        n.advance(rd);
        assertFalse(n.hasReady());
    }

    @Test
    void configurationIsValidated() {
        assertThrows(IllegalArgumentException.class, () -> RaftConfig.builder("x", THREE).build());
        assertThrows(IllegalArgumentException.class,
                () -> RaftConfig.builder("n1", THREE).electionTicks(1).heartbeatTicks(1).build());
        assertThrows(IllegalArgumentException.class, () -> RaftConfig.builder("n1", List.of("n1", "n1")).build());
    }

    @Test
    void storageThatDoesNotFitIsRefused() {
        MemoryStorage badCommit = new MemoryStorage();
        badCommit.setHardState(HardState.newBuilder().setTerm(1).setCommit(5).build());
        assertThrows(IllegalArgumentException.class,
                () -> new RawNode(RaftConfig.builder("n1", THREE).build(), badCommit, new SplittableRandom(1)));
        MemoryStorage shortLog = new MemoryStorage();
        shortLog.append(List.of(Entry.newBuilder().setIndex(1).setTerm(1).build()));
        assertThrows(IllegalArgumentException.class,
                () -> new RawNode(RaftConfig.builder("n1", THREE).applied(3).build(), shortLog,
                        new SplittableRandom(1)));
    }

    @Test
    void theStoredMembershipWinsOverTheConfiguredVoters() {
        // The configured voters only start a new node; once a log exists, it says who the members are.
        MemoryStorage stored = new MemoryStorage(ConfState.newBuilder().addVoters("n1").addVoters("n2").build());
        RawNode node = new RawNode(RaftConfig.builder("n1", THREE).build(), stored, new SplittableRandom(1));
        assertEquals(Membership.ofVoters(List.of("n1", "n2")), node.membership());
        RawNode fresh = new RawNode(RaftConfig.builder("n1", THREE).build(), new MemoryStorage(),
                new SplittableRandom(1));
        assertEquals(Membership.ofVoters(THREE), fresh.membership());
    }

    @Test
    void aRestartedNodeResumesAfterWhatItApplied() {
        MemoryStorage s = new MemoryStorage();
        s.append(List.of(Entry.newBuilder().setIndex(1).setTerm(1).build(),
                Entry.newBuilder().setIndex(2).setTerm(1).build(), Entry.newBuilder().setIndex(3).setTerm(1).build()));
        s.setHardState(HardState.newBuilder().setTerm(1).setCommit(3).build());
        RawNode n = new RawNode(RaftConfig.builder("n1", THREE).applied(2).build(), s, new SplittableRandom(1));
        Ready rd = n.ready();
        assertEquals(List.of(3L), rd.committedEntries().stream().map(Entry::getIndex).toList());
        assertEquals(null, rd.hardState());
    }

    @Test
    void messagesFromStrangersAndUnknownTypesAreIgnored() {
        // (A leader's messages are taken from anyone: see MembershipChangeTest.)
        RawNode n = new RawNode(RaftConfig.builder("n1", THREE).build(), new MemoryStorage(), new SplittableRandom(1));
        n.step(Message.newBuilder().setType(MessageType.MSG_VOTE).setFrom("zz").setTo("n1").setTerm(9).build());
        n.step(Message.newBuilder().setType(MessageType.MSG_PRE_VOTE).setFrom("zz").setTo("n1").setTerm(9).build());
        n.step(Message.newBuilder().setType(MessageType.MSG_APPEND_RESPONSE).setFrom("zz").setTo("n1").setTerm(9)
                .build());
        n.step(Message.newBuilder().setFrom("n2").setTo("n1").setTerm(9).build());
        assertEquals(0, n.term());
        assertFalse(n.hasReady());
    }
}
