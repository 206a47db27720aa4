package io.raftkv.raft.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.proto.raft.ConfState;
import io.raftkv.proto.raft.Entry;
import io.raftkv.proto.raft.Message;
import io.raftkv.proto.raft.MessageType;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ElectionTest {
    private static final List<String> THREE = List.of("n1", "n2", "n3");

    private static RawNode node(String id, MemoryStorage storage, boolean preVote) {
        return new RawNode(RaftConfig.builder(id, THREE).preVote(preVote).build(), storage, new SplittableRandom(7));
    }

    private static MemoryStorage storage() {
        return new MemoryStorage(ConfState.newBuilder().addAllVoters(THREE).build());
    }

    private static Message vote(MessageType type, String from, long term, long lastIndex, long lastTerm) {
        return Message.newBuilder().setType(type).setFrom(from).setTo("n1").setTerm(term).setIndex(lastIndex)
                .setLogTerm(lastTerm).build();
    }

    /** Handles a Ready as a runtime would and returns every message it carried. */
    private static List<Message> drain(RawNode n, MemoryStorage s) {
        java.util.ArrayList<Message> out = new java.util.ArrayList<>();
        while (n.hasReady()) {
            Ready rd = n.ready();
            out.addAll(rd.messages());
            if (rd.snapshot() != null) {
                s.applySnapshot(rd.snapshot());
            }
            s.append(rd.entries());
            if (rd.hardState() != null) {
                s.setHardState(rd.hardState());
            }
            out.addAll(rd.messagesAfterPersist());
            n.advance(rd);
        }
        return out;
    }

    @Test
    void aFollowerCampaignsAfterItsRandomizedTimeout() {
        LocalCluster c = new LocalCluster(3, b -> b.preVote(false));
        RawNode n1 = c.node("n1");
        for (int t = 0; t < 9; t++) {
            n1.tick();
        }
        assertEquals(Role.FOLLOWER, n1.role());
        int ticks = 9;
        while (n1.role() == Role.FOLLOWER) {
            n1.tick();
            ticks++;
        }
        assertTrue(ticks >= 10 && ticks < 20, "timeout " + ticks + " not in [10, 20)");
        assertEquals(Role.CANDIDATE, n1.role());
        c.settle();
        assertEquals(Role.LEADER, n1.role());
        assertEquals(1, n1.term());
    }

    @Test
    void aVoteIsGrantedOncePerTermAndPersistedBeforeItIsSent() {
        MemoryStorage s = storage();
        RawNode n1 = node("n1", s, false);
        n1.step(vote(MessageType.MSG_VOTE, "n2", 1, 0, 0));
        Ready rd = n1.ready();
        assertEquals("n2", rd.hardState().getVote());
        assertTrue(rd.mustSync());
        assertTrue(rd.messages().isEmpty(), "a vote must not leave before it is durable");
        assertEquals(1, rd.messagesAfterPersist().size());
        assertFalse(rd.messagesAfterPersist().get(0).getReject());
        s.setHardState(rd.hardState());
        n1.advance(rd);

        // Restart from storage: the vote survives, so n3 is refused in the same term.
        RawNode restarted = node("n1", s, false);
        restarted.step(vote(MessageType.MSG_VOTE, "n3", 1, 5, 1));
        List<Message> out = drain(restarted, s);
        assertEquals(1, out.size());
        assertTrue(out.get(0).getReject());
        // n2 asking again is granted again (a lost response must not stall its election)
        restarted.step(vote(MessageType.MSG_VOTE, "n2", 1, 0, 0));
        assertFalse(drain(restarted, s).get(0).getReject());
    }

    @Test
    void aVoteIsRefusedToACandidateWithAStalerLog() {
        MemoryStorage s = storage();
        s.append(List.of(Entry.newBuilder().setIndex(1).setTerm(2).build(),
                Entry.newBuilder().setIndex(2).setTerm(2).build()));
        s.setHardState(s.hardState().toBuilder().setTerm(2).build());
        RawNode n1 = node("n1", s, false);
        n1.step(vote(MessageType.MSG_VOTE, "n2", 3, 5, 1)); // longer log, older last term
        List<Message> out = drain(n1, s);
        assertTrue(out.get(0).getReject());
        assertEquals(3, n1.term());
        n1.step(vote(MessageType.MSG_VOTE, "n3", 3, 2, 2)); // as up to date: granted
        assertFalse(drain(n1, s).get(0).getReject());
    }

    @Test
    void voteResponsesFromAnOlderTermAreNotCounted() {
        MemoryStorage s = storage();
        RawNode n1 = node("n1", s, false);
        n1.campaign(); // term 1
        drain(n1, s);
        n1.campaign(); // term 2, still candidate
        drain(n1, s);
        assertEquals(2, n1.term());
        n1.step(Message.newBuilder().setType(MessageType.MSG_VOTE_RESPONSE).setFrom("n2").setTo("n1").setTerm(1)
                .build());
        assertEquals(Role.CANDIDATE, n1.role(), "a grant for term 1 must not elect n1 in term 2");
        n1.step(Message.newBuilder().setType(MessageType.MSG_VOTE_RESPONSE).setFrom("n2").setTo("n1").setTerm(2)
                .build());
        assertEquals(Role.LEADER, n1.role());
    }

    @Test
    void lateVotesStillElectACandidateThatWentBackToPreVoting() {
        MemoryStorage s = storage();
        RawNode n1 = node("n1", s, true);
        n1.campaign();
        drain(n1, s);
        n1.step(Message.newBuilder().setType(MessageType.MSG_PRE_VOTE_RESPONSE).setFrom("n2").setTo("n1").setTerm(1)
                .build());
        assertEquals(Role.CANDIDATE, n1.role());
        drain(n1, s);
        while (n1.role() == Role.CANDIDATE) {
            n1.tick(); // the votes are slow: the election timer fires and n1 pre-votes for term 2
        }
        assertEquals(Role.PRE_CANDIDATE, n1.role());
        assertEquals(1, n1.term());
        n1.step(Message.newBuilder().setType(MessageType.MSG_VOTE_RESPONSE).setFrom("n3").setTo("n1").setTerm(1)
                .build());
        assertEquals(Role.LEADER, n1.role(), "a majority voted for n1 in term 1");
        assertEquals(1, n1.term());
    }

    @Test
    void aHigherTermRejectionMakesTheCandidateFollow() {
        MemoryStorage s = storage();
        RawNode n1 = node("n1", s, false);
        n1.campaign();
        drain(n1, s);
        n1.step(Message.newBuilder().setType(MessageType.MSG_VOTE_RESPONSE).setFrom("n2").setTo("n1").setTerm(5)
                .setReject(true).build());
        assertEquals(Role.FOLLOWER, n1.role());
        assertEquals(5, n1.term());
    }

    @Test
    void preVoteKeepsACutOffNodeFromBumpingItsTermAndDisruptingTheLeader() {
        LocalCluster c = new LocalCluster(3);
        c.elect("n2");
        c.isolate("n1");
        c.node("n1").campaign();
        c.settle();
        assertEquals(Role.PRE_CANDIDATE, c.node("n1").role());
        assertEquals(1, c.node("n1").term(), "a pre-candidate keeps its term");
        c.tickAll(100);
        assertEquals(1, c.node("n1").term(), "a cut-off node never bumps its term");
        c.heal();
        c.tickAll(3);
        assertEquals(Role.LEADER, c.node("n2").role());
        assertEquals(1, c.node("n2").term());
        assertEquals("n2", c.node("n1").leader());
    }

    @Test
    void preVoteSucceedsWhenNoLeaderIsAround() {
        LocalCluster c = new LocalCluster(3);
        c.node("n1").campaign();
        c.settle();
        assertEquals(Role.LEADER, c.node("n1").role());
        assertEquals(1, c.node("n1").term());
        assertEquals(2, c.count(MessageType.MSG_PRE_VOTE));
    }

    @Test
    void followersInALeaderLeaseIgnoreVoteRequests() {
        LocalCluster c = new LocalCluster(3, b -> b.preVote(false));
        c.elect("n1");
        c.tickAll(1);
        // n3 campaigns without pre-vote: n2 heard from n1 recently and ignores it; n1 (the leader) too.
        c.node("n3").campaign();
        c.settle();
        assertEquals(Role.LEADER, c.node("n1").role());
        assertEquals(1, c.node("n2").term());
    }

    @Test
    void aLeaderCutOffFromItsQuorumStepsDown() {
        LocalCluster c = new LocalCluster(3);
        c.elect("n1");
        c.isolate("n1");
        // Responses from before the cut count for the first check; the second (two election timeouts) fails.
        for (int t = 0; t < 20; t++) {
            c.node("n1").tick();
            c.settle();
        }
        assertEquals(Role.FOLLOWER, c.node("n1").role());
        assertEquals("", c.node("n1").leader());
    }

    @Test
    void aLeaderThatHearsFromItsQuorumStays() {
        LocalCluster c = new LocalCluster(3);
        c.elect("n1");
        c.tickAll(50);
        assertEquals(Role.LEADER, c.node("n1").role());
        assertEquals(1, c.node("n1").term());
    }

    @Test
    void singleNodeClusterElectsItselfAndCommitsAfterPersisting() {
        MemoryStorage s = new MemoryStorage();
        RawNode n = new RawNode(RaftConfig.builder("a", List.of("a")).build(), s, new SplittableRandom(1));
        n.campaign();
        assertEquals(Role.LEADER, n.role());
        Ready rd = n.ready();
        assertEquals(1, rd.entries().size());
        assertTrue(rd.committedEntries().isEmpty(), "nothing commits before the leader's own write");
        s.append(rd.entries());
        s.setHardState(rd.hardState());
        n.advance(rd);
        assertTrue(n.hasReady());
        Ready rd2 = n.ready();
        assertEquals(1, rd2.committedEntries().size());
        assertEquals(1, rd2.hardState().getCommit());
    }
}
