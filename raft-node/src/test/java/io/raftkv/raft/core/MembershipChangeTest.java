package io.raftkv.raft.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.raftkv.proto.raft.ConfChange;
import io.raftkv.proto.raft.ConfChangeType;
import io.raftkv.proto.raft.ConfState;
import io.raftkv.proto.raft.Entry;
import io.raftkv.proto.raft.EntryType;
import io.raftkv.proto.raft.Message;
import io.raftkv.proto.raft.MessageType;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Membership changes in the core: the leader's rules for proposing one, and the membership each point of a log has. */
class MembershipChangeTest {

    private static ConfChange addLearner(String node) {
        return ConfChange.newBuilder().setType(ConfChangeType.CONF_ADD_LEARNER).setNode(node).build();
    }

    /** A change entry as a leader appends it after {@code before}: with the membership it makes. */
    private static Entry confEntry(long term, long index, ConfChange change, Membership before) {
        return Entry.newBuilder().setTerm(term).setIndex(index).setType(EntryType.ENTRY_CONF_CHANGE)
                .setData(change.toBuilder().setAfter(before.apply(change).toConfState()).build().toByteString())
                .build();
    }

    private static Entry entry(long term, long index) {
        return Entry.newBuilder().setTerm(term).setIndex(index).setData(ByteString.copyFromUtf8("x")).build();
    }

    /** Persists and hands back one Ready, as a runtime would. */
    private static Ready persist(RawNode node, MemoryStorage storage) {
        Ready rd = node.ready();
        if (rd.hardState() != null) {
            storage.setHardState(rd.hardState());
        }
        storage.append(rd.entries());
        node.advance(rd);
        return rd;
    }

    @Test
    void aLeaderTakesOneChangeAtATimeAndOnlyOnceItCommittedInItsTerm() {
        MemoryStorage storage = new MemoryStorage(ConfState.newBuilder().addVoters("a").build());
        RawNode node = new RawNode(RaftConfig.builder("a", List.of("a")).build(), storage, new SplittableRandom(1));
        assertInstanceOf(ProposeResult.NotLeader.class, node.proposeMembershipChange(addLearner("b")));
        node.campaign();
        assertEquals(Role.LEADER, node.role());

        // The new term's empty entry is not committed yet: a change now could overlap one of an earlier leader.
        ProposeResult early = node.proposeMembershipChange(addLearner("b"));
        assertTrue(early instanceof ProposeResult.Dropped d && d.reason().contains("not committed an entry of its term"),
                early.toString());
        persist(node, storage);

        ProposeResult first = node.proposeMembershipChange(addLearner("b"));
        assertInstanceOf(ProposeResult.Accepted.class, first);
        // In effect at once, on the leader too, before it commits.
        assertEquals(new Membership(List.of("a"), List.of("b")), node.membership());
        ProposeResult second = node.proposeMembershipChange(addLearner("c"));
        assertTrue(second instanceof ProposeResult.Dropped d && d.reason().contains("is not committed yet"),
                second.toString());

        persist(node, storage); // the lone voter's own write commits the first change
        assertInstanceOf(ProposeResult.Accepted.class, node.proposeMembershipChange(addLearner("c")));
        persist(node, storage);
        ProposeResult again = node.proposeMembershipChange(addLearner("b"));
        assertTrue(again instanceof ProposeResult.Dropped d && d.reason().equals("b is already a learner"),
                again.toString());
        ProposeResult voter = node.proposeMembershipChange(addLearner("a"));
        assertTrue(voter instanceof ProposeResult.Dropped d && d.reason().equals("a is already a voter"),
                voter.toString());
        assertEquals(new Membership(List.of("a"), List.of("b", "c")), node.membership());
        assertEquals(Membership.ofVoters(List.of("a")), node.membershipAt(1)); // the term's empty entry
        assertEquals(new Membership(List.of("a"), List.of("b")), node.membershipAt(2));
    }

    @Test
    void aRestartedNodeReadsTheChangesBackFromItsLog() {
        MemoryStorage storage = new MemoryStorage(ConfState.newBuilder().addVoters("a").build());
        RawNode node = new RawNode(RaftConfig.builder("a", List.of("a")).build(), storage, new SplittableRandom(1));
        node.campaign();
        persist(node, storage);
        node.proposeMembershipChange(addLearner("b"));
        persist(node, storage);
        persist(node, storage);

        // Started again with the initial voters only: the log, not the configuration, says who the members are.
        RawNode restarted = new RawNode(RaftConfig.builder("a", List.of("a")).build(), storage,
                new SplittableRandom(2));
        assertEquals(new Membership(List.of("a"), List.of("b")), restarted.membership());

        // After compaction past the change, the snapshot metadata carries it.
        storage.compact(storage.lastIndex(), restarted.membershipAt(storage.lastIndex()).toConfState());
        RawNode compacted = new RawNode(RaftConfig.builder("a", List.of("a")).build(), storage,
                new SplittableRandom(3));
        assertEquals(new Membership(List.of("a"), List.of("b")), compacted.membership());
    }

    @Test
    void aChangeInAReplacedSuffixIsUndone() {
        Membership initial = Membership.ofVoters(List.of("a", "b", "c"));
        MembershipHistory history = new MembershipHistory(0, initial);
        assertTrue(history.appended(List.of(entry(1, 1), confEntry(1, 2, addLearner("d"), initial), entry(1, 3))));
        assertEquals(new Membership(List.of("a", "b", "c"), List.of("d")), history.current());
        assertEquals(2, history.lastChangeIndex());
        assertEquals(initial, history.at(1));
        assertEquals(history.current(), history.at(3));

        // A new leader's entries replace index 3 on: the change at 2 stays.
        assertTrue(!history.appended(List.of(entry(2, 3))));
        assertEquals(2, history.lastChangeIndex());
        // ... and from index 2 on: the change is gone with its entry.
        assertTrue(history.appended(List.of(entry(3, 2))));
        assertEquals(initial, history.current());
        assertEquals(0, history.lastChangeIndex());

        Membership fromSnapshot = new Membership(List.of("a", "b", "c"), List.of("e"));
        assertTrue(history.restored(10, fromSnapshot));
        assertEquals(fromSnapshot, history.current());
        assertEquals(fromSnapshot, history.at(10));
        // The old log may still be compacted while the snapshot installs: its memberships stay known.
        assertEquals(initial, history.at(9));
        for (int k = 1; k <= 100; k++) {
            history.restored(10 + k, fromSnapshot);
        }
        assertThrows(IllegalArgumentException.class, () -> history.at(9)); // forgotten after many installs
    }

    @Test
    void aLearnerNeverCampaigns() {
        MemoryStorage storage = new MemoryStorage(ConfState.newBuilder().addVoters("a").addLearners("d").build());
        RawNode learner = new RawNode(RaftConfig.builder("d", List.of("a")).joining(true).build(), storage,
                new SplittableRandom(1));
        for (int i = 0; i < 100; i++) {
            learner.tick(); // ten election timeouts without a leader
        }
        learner.step(Message.newBuilder().setType(MessageType.MSG_TIMEOUT_NOW).setFrom("a").setTo("d").setTerm(0)
                .build());
        learner.campaign();
        assertEquals(Role.FOLLOWER, learner.role());
        assertEquals(0, learner.term());
        if (learner.hasReady()) {
            Ready rd = learner.ready();
            assertTrue(rd.messages().isEmpty() && rd.messagesAfterPersist().isEmpty(), "a learner sent something");
        }
    }

    private static ConfChange promote(String node) {
        return ConfChange.newBuilder().setType(ConfChangeType.CONF_PROMOTE_LEARNER).setNode(node).build();
    }

    private static ConfChange remove(String node) {
        return ConfChange.newBuilder().setType(ConfChangeType.CONF_REMOVE_NODE).setNode(node).build();
    }

    @Test
    void promotionAndRemovalFollowTheMembership() {
        Membership m = new Membership(List.of("a", "b"), List.of("c"));
        assertEquals(Membership.ofVoters(List.of("a", "b", "c")), m.apply(promote("c")));
        assertEquals(Membership.ofVoters(List.of("a", "b")), m.apply(remove("c")));
        assertEquals(new Membership(List.of("b"), List.of("c")), m.apply(remove("a")));
        assertEquals("a is already a voter", m.refusal(promote("a")));
        assertEquals("d is not a member", m.refusal(promote("d")));
        assertEquals("d is not a member", m.refusal(remove("d")));
        assertEquals("b is the last voter: a group needs one",
                new Membership(List.of("b"), List.of("c")).refusal(remove("b")));
    }

    @Test
    void votesOfNonMembersAreIgnoredButALeaderIsHeardFromAnyone() {
        MemoryStorage storage = new MemoryStorage(ConfState.newBuilder().addVoters("a").addVoters("b").build());
        RawNode node = new RawNode(RaftConfig.builder("a", List.of("a", "b")).build(), storage,
                new SplittableRandom(1));
        // A removed node (or one of another group) asks for a vote in a higher term: nothing changes.
        node.step(Message.newBuilder().setType(MessageType.MSG_VOTE).setFrom("x").setTo("a").setTerm(5).setIndex(9)
                .setLogTerm(4).build());
        assertEquals(0, node.term());
        // A leader this node does not know as a member yet (its log lags behind the leader's own addition).
        node.step(Message.newBuilder().setType(MessageType.MSG_HEARTBEAT).setFrom("x").setTo("a").setTerm(5)
                .build());
        assertEquals(5, node.term());
        assertEquals("x", node.leader());
    }

    @Test
    void membershipsAreValidated() {
        assertThrows(IllegalArgumentException.class, () -> new Membership(List.of(), List.of("a")));
        assertThrows(IllegalArgumentException.class, () -> new Membership(List.of("a"), List.of("a")));
        assertThrows(IllegalArgumentException.class, () -> new Membership(List.of("a", "a"), List.of()));
        Membership m = Membership.ofVoters(List.of("a"));
        assertEquals("a membership change must name a node", m.refusal(addLearner("")));
        assertThrows(IllegalArgumentException.class, () -> new Membership(List.of("a"), List.of(),
                Map.of("b", "h:1")));
        // An entry is read by the membership it records; one that records none is not a leader's.
        Entry withoutResult = Entry.newBuilder().setTerm(1).setIndex(1).setType(EntryType.ENTRY_CONF_CHANGE)
                .setData(addLearner("b").toByteString()).build();
        assertThrows(IllegalStateException.class, () -> m.apply(withoutResult));
        assertEquals(m, Membership.of(m.toConfState()));
    }

    @Test
    void addressesTravelWithTheMembership() {
        Membership m = new Membership(List.of("a", "b"), List.of(), Map.of("a", "h:1", "b", "h:2"));
        assertEquals("adding c needs its address", m.refusal(addLearner("c")));
        ConfChange add = addLearner("c").toBuilder().setAddress("h:3").build();
        Membership grown = m.apply(add);
        assertEquals(Map.of("a", "h:1", "b", "h:2", "c", "h:3"), grown.addresses());
        assertEquals(Map.of("b", "h:2", "c", "h:3"), grown.apply(remove("a")).addresses());
        assertEquals(grown, Membership.of(grown.toConfState()));
        // Read from the entry alone: a node that joined with a wrong guess of the group still gets it right.
        assertEquals(grown, Membership.ofVoters(List.of("x")).apply(confEntry(1, 1, add, m)));
        // Addresses a node was started with fill in only what the membership does not record, and only for members.
        assertEquals(Map.of("a", "h:1", "b", "h:9"), new Membership(List.of("a", "b"), List.of(), Map.of("a", "h:1"))
                .withAddresses(Map.of("a", "h:7", "b", "h:9", "z", "h:0")).addresses());
    }

    @Test
    void theLeaderRecordsTheMembershipAfterItsChange() {
        MemoryStorage storage = new MemoryStorage(ConfState.newBuilder().addVoters("a").build());
        RawNode node = new RawNode(RaftConfig.builder("a", List.of("a")).build(), storage, new SplittableRandom(1));
        node.campaign();
        persist(node, storage);
        assertInstanceOf(ProposeResult.Accepted.class, node.proposeMembershipChange(addLearner("b")));
        Ready rd = persist(node, storage);
        Entry appended = rd.entries().get(rd.entries().size() - 1);
        assertEquals(new Membership(List.of("a"), List.of("b")), Membership.ofVoters(List.of("z")).apply(appended));
    }
}
