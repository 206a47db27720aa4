package io.raftkv.raft.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ProgressTest {

    @Test
    void inflightsFreeInOrder() {
        Inflights in = new Inflights(3);
        in.add(5);
        in.add(9);
        in.add(12);
        assertTrue(in.full());
        in.freeUpTo(9);
        assertEquals(1, in.count());
        in.add(15);
        in.add(20);
        assertTrue(in.full());
        in.freeUpTo(100);
        assertEquals(0, in.count());
    }

    @Test
    void replicatePipelinesUntilTheWindowIsFull() {
        Progress pr = new Progress(1, 2);
        pr.becomeReplicate();
        pr.sentEntries(3, 3);
        assertFalse(pr.isPaused());
        pr.sentEntries(2, 5);
        assertTrue(pr.isPaused());
        assertEquals(6, pr.next);
        assertTrue(pr.maybeUpdate(3));
        pr.inflights.freeUpTo(3);
        assertFalse(pr.isPaused());
    }

    @Test
    void probeSendsOneAtATime() {
        Progress pr = new Progress(10, 4);
        pr.sentEntries(0, 9);
        assertTrue(pr.isPaused());
        assertTrue(pr.maybeDecreaseTo(9, 4));
        assertEquals(5, pr.next);
        assertFalse(pr.isPaused());
    }

    @Test
    void staleRejectionsAreIgnored() {
        Progress pr = new Progress(10, 4);
        assertFalse(pr.maybeDecreaseTo(7, 3)); // answers a probe at 7, but the outstanding probe is at 9
        pr.match = 5;
        pr.becomeReplicate();
        assertFalse(pr.maybeDecreaseTo(4, 0)); // at or below match: an old message
        assertTrue(pr.maybeDecreaseTo(8, 0));
        assertEquals(6, pr.next);
    }

    @Test
    void snapshotStatePausesAndResumesAfterTheSnapshot() {
        Progress pr = new Progress(3, 4);
        pr.becomeSnapshot(50);
        assertTrue(pr.isPaused());
        pr.becomeProbe();
        assertEquals(51, pr.next);
    }

    @Test
    void trackerCountsQuorumsAndVotes() {
        ProgressTracker t = new ProgressTracker(Membership.ofVoters(java.util.List.of("a", "b", "c", "d", "e")), 4);
        t.resetProgress(0);
        t.get("a").match = 9;
        t.get("b").match = 7;
        t.get("c").match = 5;
        t.get("d").match = 1;
        assertEquals(5, t.quorumMatch());
        t.recordVote("a", true);
        t.recordVote("b", false);
        assertEquals(ProgressTracker.VoteResult.PENDING, t.tallyVotes());
        t.recordVote("c", false);
        t.recordVote("d", false);
        assertEquals(ProgressTracker.VoteResult.LOST, t.tallyVotes());
        t.resetVotes();
        t.recordVote("a", true);
        t.recordVote("b", true);
        t.recordVote("c", true);
        t.recordVote("c", false); // a second answer from the same voter does not count
        assertEquals(ProgressTracker.VoteResult.WON, t.tallyVotes());
    }

    @Test
    void learnersHaveProgressButNoSayInQuorumsOrVotes() {
        ProgressTracker t = new ProgressTracker(Membership.ofVoters(java.util.List.of("a", "b", "c")), 4);
        t.resetProgress(0);
        t.get("a").match = 9;
        t.get("b").match = 1;
        t.get("c").match = 1;
        t.changeMembership(new Membership(java.util.List.of("a", "b", "c"), java.util.List.of("d")), 9);
        assertEquals(10, t.get("d").next); // a new member is probed from the leader's end
        assertEquals(9, t.get("a").match); // the others keep their progress
        t.get("d").match = 9;
        assertEquals(1, t.quorumMatch()); // the learner's copy does not commit anything
        assertEquals(2, t.quorum());
        t.recordVote("a", true);
        t.recordVote("d", true);
        assertEquals(ProgressTracker.VoteResult.PENDING, t.tallyVotes());
        t.get("d").recentActive = true;
        assertFalse(t.quorumActive("a"));
    }
}
