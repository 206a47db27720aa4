package io.raftkv.raft.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.raftkv.proto.raft.MessageType;
import org.junit.jupiter.api.Test;

class LeadershipTransferTest {

    @Test
    void anUpToDateTransfereeTakesOverAtOnce() {
        LocalCluster c = new LocalCluster(3);
        c.elect("n1");
        c.propose("n1", "a");
        assertTrue(c.node("n1").transferLeadership("n2"));
        c.settle();
        assertEquals(Role.LEADER, c.node("n2").role());
        assertEquals(2, c.node("n2").term());
        assertEquals(1, c.count(MessageType.MSG_TIMEOUT_NOW));
        assertEquals(0, c.count(MessageType.MSG_PRE_VOTE) - 2, "a transfer campaigns without a pre-vote round");
    }

    @Test
    void aLaggingTransfereeIsCaughtUpFirst() {
        LocalCluster c = new LocalCluster(3);
        c.elect("n1");
        c.isolate("n3");
        c.propose("n1", "a");
        c.propose("n1", "b");
        c.heal();
        c.node("n1").transferLeadership("n3");
        assertInstanceOf(ProposeResult.Dropped.class, c.node("n1").propose(ByteString.copyFromUtf8("x")),
                "no proposals while handing over");
        c.settle();
        assertEquals(Role.LEADER, c.node("n3").role());
    }

    @Test
    void aFollowerForwardsTheRequest() {
        LocalCluster c = new LocalCluster(3);
        c.elect("n1");
        assertTrue(c.node("n2").transferLeadership("n3"));
        c.settle();
        assertEquals(Role.LEADER, c.node("n3").role());
    }

    @Test
    void aTransferThatCannotFinishIsAbandonedAfterAnElectionTimeout() {
        LocalCluster c = new LocalCluster(3);
        c.elect("n1");
        c.isolate("n3");
        c.node("n1").transferLeadership("n3");
        c.settle();
        assertInstanceOf(ProposeResult.Dropped.class, c.node("n1").propose(ByteString.copyFromUtf8("x")));
        for (int t = 0; t < 10; t++) {
            c.node("n1").tick();
            c.node("n2").tick();
            c.settle();
        }
        assertEquals(Role.LEADER, c.node("n1").role());
        assertEquals("", c.node("n1").status().leadTransferee());
        assertInstanceOf(ProposeResult.Accepted.class, c.node("n1").propose(ByteString.copyFromUtf8("y")));
    }

    @Test
    void unknownTargetsAreRefused() {
        LocalCluster c = new LocalCluster(3);
        assertFalse(c.node("n1").transferLeadership("n9"));
        assertFalse(c.node("n1").transferLeadership("n2"), "no leader known yet");
    }
}
