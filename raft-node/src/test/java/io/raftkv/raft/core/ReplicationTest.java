package io.raftkv.raft.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.raftkv.proto.raft.ConfState;
import io.raftkv.proto.raft.Entry;
import io.raftkv.proto.raft.HardState;
import io.raftkv.proto.raft.Message;
import io.raftkv.proto.raft.MessageType;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ReplicationTest {

    @Test
    void proposalsReachEveryNodeInOrder() {
        LocalCluster c = new LocalCluster(3);
        c.elect("n1");
        for (int i = 0; i < 5; i++) {
            c.propose("n1", "cmd" + i);
        }
        c.tickAll(1); // the commit index reaches followers with the next heartbeat
        for (String id : List.of("n1", "n2", "n3")) {
            List<String> data = c.applied.get(id).stream().map(e -> e.getData().toStringUtf8())
                    .filter(d -> !d.isEmpty()).toList();
            assertEquals(List.of("cmd0", "cmd1", "cmd2", "cmd3", "cmd4"), data, id);
        }
    }

    @Test
    void aRestartedFollowerRecoversItsLogFromStorageAndReappliesIt() {
        LocalCluster c = new LocalCluster(3);
        c.elect("n1");
        c.propose("n1", "a");
        c.propose("n1", "b");
        c.tickAll(1);
        RaftStatus before = c.node("n2").status();
        c.restart("n2");
        RaftStatus after = c.node("n2").status();
        assertEquals(before.lastIndex(), after.lastIndex());
        assertEquals(before.term(), after.term());
        assertEquals(before.commitIndex(), after.commitIndex());
        c.settle();
        assertEquals(c.applied.get("n1"), c.applied.get("n2"), "the restarted node applies the same log again");
    }

    @Test
    void aFollowerRefusesProposalsAndNamesTheLeader() {
        LocalCluster c = new LocalCluster(3);
        c.elect("n1");
        ProposeResult r = c.node("n2").propose(ByteString.copyFromUtf8("x"));
        assertEquals(new ProposeResult.NotLeader("n1"), r);
    }

    @Test
    void proposalsOfOneReadyGoOutAsOneBatchedAppend() {
        LocalCluster c = new LocalCluster(3);
        c.elect("n1");
        c.delivered.clear();
        for (int i = 0; i < 20; i++) {
            c.node("n1").propose(ByteString.copyFromUtf8("cmd" + i));
        }
        c.settle();
        long appends = c.delivered.stream().filter(m -> m.getType() == MessageType.MSG_APPEND)
                .filter(m -> m.getEntriesCount() > 0).count();
        assertEquals(2, appends, "one append per follower for the whole batch");
    }

    @Test
    void appendsAreSplitByCountAndPipelinedUpToTheInflightLimit() {
        LocalCluster c = new LocalCluster(2, b -> b.maxEntriesPerAppend(3).maxInflightAppends(2));
        c.elect("n1");
        c.setDrop(m -> m.getType() == MessageType.MSG_APPEND_RESPONSE); // nothing is acknowledged
        c.delivered.clear();
        for (int i = 0; i < 20; i++) {
            c.node("n1").propose(ByteString.copyFromUtf8("cmd" + i));
        }
        c.settle();
        List<Message> appends = c.delivered.stream().filter(m -> m.getType() == MessageType.MSG_APPEND).toList();
        assertEquals(2, appends.size(), "at most two appends in flight");
        assertTrue(appends.stream().allMatch(m -> m.getEntriesCount() == 3));
        c.heal();
        c.tickAll(3);
        assertEquals(c.node("n1").status().lastIndex(), c.node("n2").status().lastIndex());
    }

    @Test
    void aNewLeaderCommitsOldEntriesOnlyThroughAnEntryOfItsOwnTerm() {
        // Figure 8: n1 (term 2) holds an entry of term 2 replicated to n2; n1 must not count it committed in term 3
        // until an entry of term 3 is replicated too.
        List<String> ids = List.of("n1", "n2", "n3", "n4", "n5");
        MemoryStorage s1 = new MemoryStorage(ConfState.newBuilder().addAllVoters(ids).build());
        s1.append(List.of(entry(1, 1), entry(2, 2)));
        s1.setHardState(HardState.newBuilder().setTerm(2).build());
        RawNode n1 = new RawNode(RaftConfig.builder("n1", ids).preVote(false).build(), s1, new SplittableRandom(3));
        n1.campaign();
        for (String v : List.of("n2", "n3")) {
            n1.step(Message.newBuilder().setType(MessageType.MSG_VOTE_RESPONSE).setFrom(v).setTo("n1").setTerm(3)
                    .build());
        }
        assertEquals(Role.LEADER, n1.role());
        Ready rd = n1.ready();
        s1.append(rd.entries());
        s1.setHardState(rd.hardState());
        n1.advance(rd);
        // n2 and n3 acknowledge entry 2 (the old term) but not 3 (the new empty entry).
        for (String f : List.of("n2", "n3")) {
            n1.step(Message.newBuilder().setType(MessageType.MSG_APPEND_RESPONSE).setFrom(f).setTo("n1").setTerm(3)
                    .setIndex(2).build());
        }
        assertEquals(0, n1.status().commitIndex(), "entry 2 must not commit by counting in term 3");
        for (String f : List.of("n2", "n3")) {
            n1.step(Message.newBuilder().setType(MessageType.MSG_APPEND_RESPONSE).setFrom(f).setTo("n1").setTerm(3)
                    .setIndex(3).build());
        }
        assertEquals(3, n1.status().commitIndex());
    }

    @Test
    void staleAppendResponsesAreIgnored() {
        LocalCluster c = new LocalCluster(3);
        c.elect("n1");
        c.propose("n1", "a");
        RaftStatus before = c.node("n1").status();
        // An old rejection (for an index long acknowledged) and a response from an older term change nothing.
        c.node("n1").step(Message.newBuilder().setType(MessageType.MSG_APPEND_RESPONSE).setFrom("n2").setTo("n1")
                .setTerm(1).setIndex(0).setReject(true).setRejectHint(0).build());
        c.node("n1").step(Message.newBuilder().setType(MessageType.MSG_APPEND_RESPONSE).setFrom("n2").setTo("n1")
                .setTerm(0).setIndex(0).setReject(true).build());
        assertEquals(before.followers().get("n2"), c.node("n1").status().followers().get("n2"));
    }

    @Test
    void fastBackOffNeedsAboutOneRoundTripPerTerm() {
        // Leader log: 1 term-1 entry then 30 term-5 entries. Follower: the same first entry then 300 entries over
        // terms 2, 3 and 4 that were never committed. Naive back-off would take ~300 round trips.
        List<String> ids = List.of("n1", "n2");
        ConfState cs = ConfState.newBuilder().addAllVoters(ids).build();
        MemoryStorage leaderLog = new MemoryStorage(cs);
        List<Entry> l = new ArrayList<>(List.of(entry(1, 1)));
        for (int i = 2; i <= 31; i++) {
            l.add(entry(i, 5));
        }
        leaderLog.append(l);
        leaderLog.setHardState(HardState.newBuilder().setTerm(5).build());
        MemoryStorage followerLog = new MemoryStorage(cs);
        List<Entry> f = new ArrayList<>(List.of(entry(1, 1)));
        for (int i = 2; i <= 301; i++) {
            f.add(entry(i, 2 + (i - 2) / 100));
        }
        followerLog.append(f);
        followerLog.setHardState(HardState.newBuilder().setTerm(4).build());
        LocalCluster c = new LocalCluster(2, b -> b.preVote(false));
        c.nodes.put("n1", new RawNode(RaftConfig.builder("n1", ids).preVote(false).build(), leaderLog,
                new SplittableRandom(1)));
        c.storages.put("n1", leaderLog);
        c.nodes.put("n2", new RawNode(RaftConfig.builder("n2", ids).preVote(false).build(), followerLog,
                new SplittableRandom(2)));
        c.storages.put("n2", followerLog);
        c.elect("n1");
        long rejections = c.delivered.stream()
                .filter(m -> m.getType() == MessageType.MSG_APPEND_RESPONSE && m.getReject()).count();
        assertTrue(rejections <= 2, "rejections: " + rejections);
        assertEquals(32, followerLog.lastIndex());
        assertEquals(6, followerLog.term(32));
        assertEquals(5, followerLog.term(2));
    }

    @Test
    void aLaggingFollowerIsFoundWithOneProbe() {
        LocalCluster c = new LocalCluster(3);
        c.elect("n1");
        c.isolate("n3");
        for (int i = 0; i < 200; i++) {
            c.node("n1").propose(ByteString.copyFromUtf8("x" + i));
        }
        c.settle();
        c.heal();
        c.delivered.clear();
        c.tickAll(1);
        long rejections = c.delivered.stream()
                .filter(m -> m.getType() == MessageType.MSG_APPEND_RESPONSE && m.getReject()).count();
        assertTrue(rejections <= 1, "rejections: " + rejections);
        assertEquals(c.node("n1").status().lastIndex(), c.node("n3").status().lastIndex());
    }

    @Test
    void leaderAppendsGoOutBeforeItsWriteButAcknowledgementsWait() {
        LocalCluster c = new LocalCluster(3);
        c.elect("n1");
        c.node("n1").propose(ByteString.copyFromUtf8("x"));
        Ready rd = c.node("n1").ready();
        assertTrue(rd.mustSync());
        assertEquals(2, rd.messages().stream().filter(m -> m.getType() == MessageType.MSG_APPEND).count());
        c.node("n2").step(rd.messages().get(0).getTo().equals("n2") ? rd.messages().get(0) : rd.messages().get(1));
        Ready followerRd = c.node("n2").ready();
        assertTrue(followerRd.messages().isEmpty());
        assertInstanceOf(Message.class, followerRd.messagesAfterPersist().get(0));
        assertEquals(MessageType.MSG_APPEND_RESPONSE, followerRd.messagesAfterPersist().get(0).getType());
    }

    private static Entry entry(long index, long term) {
        return Entry.newBuilder().setIndex(index).setTerm(term).setData(ByteString.copyFromUtf8("t" + term)).build();
    }
}
