package io.raftkv.raft.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.raftkv.proto.raft.MessageType;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ReadIndexTest {

    private static ByteString ctx(String s) {
        return ByteString.copyFromUtf8(s);
    }

    @Test
    void theLeaderConfirmsAReadWithAHeartbeatQuorum() {
        LocalCluster c = new LocalCluster(3);
        c.elect("n1");
        c.propose("n1", "a");
        long commit = c.node("n1").status().commitIndex();
        c.delivered.clear();
        assertTrue(c.node("n1").readIndex(ctx("r1")));
        c.settle();
        assertEquals(List.of(new ReadState(commit, ctx("r1"))), c.reads.get("n1"));
        assertEquals(2, c.count(MessageType.MSG_HEARTBEAT));
        assertEquals(0, c.count(MessageType.MSG_APPEND), "a read writes nothing to the log");
    }

    @Test
    void aLeaderWithoutItsQuorumCannotConfirmReads() {
        LocalCluster c = new LocalCluster(3);
        c.elect("n1");
        c.isolate("n1");
        c.node("n1").readIndex(ctx("r1"));
        c.settle();
        assertTrue(c.reads.get("n1").isEmpty());
    }

    @Test
    void aFollowerForwardsToTheLeader() {
        LocalCluster c = new LocalCluster(3);
        c.elect("n1");
        c.propose("n1", "a");
        long commit = c.node("n1").status().commitIndex();
        assertTrue(c.node("n2").readIndex(ctx("f1")));
        c.settle();
        assertEquals(List.of(new ReadState(commit, ctx("f1"))), c.reads.get("n2"));
        assertTrue(c.reads.get("n1").isEmpty());
    }

    @Test
    void aFollowerWithoutALeaderCannotStartARead() {
        LocalCluster c = new LocalCluster(3);
        assertFalse(c.node("n2").readIndex(ctx("x")));
    }

    @Test
    void aNewLeaderWaitsForItsFirstCommitBeforeAnsweringReads() {
        LocalCluster c = new LocalCluster(3);
        c.elect("n1");
        // n2 takes over, but its empty entry cannot commit while its followers' acknowledgements are lost.
        c.setDrop(m -> m.getType() == MessageType.MSG_APPEND_RESPONSE);
        c.node("n1").transferLeadership("n2");
        c.settle();
        assertEquals(Role.LEADER, c.node("n2").role());
        c.node("n2").readIndex(ctx("early"));
        c.settle();
        assertTrue(c.reads.get("n2").isEmpty(), "before committing in its term the leader's commit index may be stale");
        c.heal();
        c.tickAll(1);
        assertEquals(1, c.reads.get("n2").size());
        assertEquals(c.node("n2").status().commitIndex(), c.reads.get("n2").get(0).index());
    }

    @Test
    void aSingleNodeAnswersReadsAtOnce() {
        MemoryStorage s = new MemoryStorage();
        RawNode n = new RawNode(RaftConfig.builder("a", List.of("a")).build(), s, new SplittableRandom(1));
        n.campaign();
        n.readIndex(ctx("r"));
        Ready rd = n.ready();
        assertEquals(1, rd.readStates().size());
    }
}
