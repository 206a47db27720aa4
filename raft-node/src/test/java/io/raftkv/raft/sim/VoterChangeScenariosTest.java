package io.raftkv.raft.sim;

import static io.raftkv.raft.sim.MembershipOps.SECOND;
import static io.raftkv.raft.sim.MembershipOps.addLearner;
import static io.raftkv.raft.sim.MembershipOps.awaitCaughtUp;
import static io.raftkv.raft.sim.MembershipOps.awaitLeader;
import static io.raftkv.raft.sim.MembershipOps.change;
import static io.raftkv.raft.sim.MembershipOps.load;
import static io.raftkv.raft.sim.MembershipOps.promote;
import static io.raftkv.raft.sim.MembershipOps.remove;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.ProposeResult;
import io.raftkv.raft.core.Role;
import io.raftkv.raft.core.SoftState;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Voters added and removed one at a time, in the simulator, over several seeds and under load: growing 3 to 5 and
 * shrinking back, replacing a crashed voter (with every node restarted after each step), removing the leader, a
 * promotion refused while the learner lags, and a change stranded on a partitioned leader. The safety checker runs
 * throughout (one leader per term, committed entries never lost or changed).
 */
class VoterChangeScenariosTest {
    private static final int MAX_PROMOTION_LAG = 50;

    /**
     * Nodes n1..n{voters + joiners}; the joiners start outside the group. A removed node must never become a
     * candidate: one that never learns of its removal may pre-vote, but no member answers it.
     */
    private static Simulation cluster(long seed, int voters, int joiners, Set<String> removed) {
        Simulation sim = new Simulation(SimConfig.builder(voters + joiners, seed).joiners(joiners)
                .raftTuning(b -> b.maxPromotionLag(MAX_PROMOTION_LAG)).build());
        sim.addListener(new SimListener() {
            @Override
            public void onSoftState(SimNode node, SoftState state) {
                if (removed.contains(node.id()) && (state.role() == Role.LEADER || state.role() == Role.CANDIDATE)) {
                    fail("removed node " + node.id() + " became " + state.role() + "\n" + sim.describe());
                }
            }
        });
        return sim;
    }

    private static void assertMembership(Simulation sim, Membership expected, List<String> on) {
        for (String id : on) {
            assertEquals(expected, sim.node(id).membership(), id + "\n" + sim.describe());
        }
    }

    private static Membership voters(String... ids) {
        return Membership.ofVoters(List.of(ids));
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void growsFromThreeToFiveAndShrinksBack(long seed) {
        Set<String> removed = new HashSet<>();
        Simulation sim = cluster(seed, 3, 2, removed);
        List<String> all = List.of("n1", "n2", "n3", "n4", "n5");
        load(sim, 50);
        for (String joiner : List.of("n4", "n5")) {
            change(sim, addLearner(joiner));
            load(sim, 30);
            awaitCaughtUp(sim, joiner);
            change(sim, promote(joiner));
            load(sim, 30);
        }
        awaitCaughtUp(sim, "n5");
        assertMembership(sim, voters("n1", "n2", "n3", "n4", "n5"), all);

        // Five voters survive two failures: crash two of the originals, the group still commits.
        String leader = awaitLeader(sim).id();
        List<String> victims = all.stream().filter(id -> !id.equals(leader)).limit(2).toList();
        victims.forEach(sim::crash);
        long committed = sim.checker().committedIndex();
        load(sim, 50);
        assertTrue(sim.checker().committedIndex() > committed, "five voters, two down\n" + sim.describe());
        victims.forEach(sim::restart);

        for (String leaving : List.of("n4", "n5")) {
            change(sim, remove(leaving));
            removed.add(leaving);
            load(sim, 30);
        }
        awaitCaughtUp(sim, "n1");
        assertMembership(sim, voters("n1", "n2", "n3"), List.of("n1", "n2", "n3"));
        // The removed nodes stay up, and time out for want of a leader: they must not disrupt the three, which keep
        // their term and leader and still commit.
        committed = sim.checker().committedIndex();
        long term = sim.node("n1").term();
        String before = awaitLeader(sim).id();
        load(sim, 500);
        assertTrue(sim.checker().committedIndex() > committed, sim.describe());
        assertEquals(term, sim.node("n1").term(), sim.describe());
        assertEquals(before, awaitLeader(sim).id());
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void replacesACrashedVoterWithEveryNodeRestartedAfterEachStep(long seed) {
        Set<String> removed = new HashSet<>();
        Simulation sim = cluster(seed, 3, 1, removed);
        load(sim, 50);
        String leader = awaitLeader(sim).id();
        String dead = List.of("n1", "n2", "n3").stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
        sim.crash(dead); // its disk is lost for good: it is replaced by n4
        List<String> live = new java.util.ArrayList<>(List.of("n1", "n2", "n3", "n4"));
        live.remove(dead);

        change(sim, addLearner("n4"));
        restartEach(sim, live);
        awaitCaughtUp(sim, "n4");
        change(sim, promote("n4"));
        restartEach(sim, live);
        change(sim, remove(dead));
        removed.add(dead);
        restartEach(sim, live);
        load(sim, 30);
        Membership replaced = Membership.ofVoters(live);
        assertMembership(sim, replaced, live);

        // The new group of three survives one more failure.
        String second = live.stream().filter(id -> !id.equals(awaitLeader(sim).id())).findFirst().orElseThrow();
        sim.crash(second);
        long committed = sim.checker().committedIndex();
        load(sim, 50);
        assertTrue(sim.checker().committedIndex() > committed, sim.describe());
    }

    /** Crashes and restarts each node in turn, then checks the group still commits. */
    private static void restartEach(Simulation sim, List<String> ids) {
        for (String id : ids) {
            Membership before = sim.node(id).membership();
            sim.crash(id);
            sim.restart(id);
            assertEquals(before, sim.node(id).membership(), id + " forgot a membership change in a restart");
            sim.runFor(SECOND / 2);
        }
        long committed = sim.checker().committedIndex();
        load(sim, 30);
        awaitLeader(sim);
        load(sim, 30);
        assertTrue(sim.checker().committedIndex() > committed, sim.describe());
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void aLeaderThatRemovesItselfHandsOverOnceTheChangeCommits(long seed) {
        Set<String> removed = new HashSet<>();
        Simulation sim = cluster(seed, 3, 0, removed);
        load(sim, 50);
        SimNode leader = awaitLeader(sim);
        ProposeResult r;
        do {
            sim.runFor(100_000);
            r = leader.proposeMembershipChange(remove(leader.id()));
        } while (!(r instanceof ProposeResult.Accepted) && leader.isLeader());
        assertInstanceOf(ProposeResult.Accepted.class, r, sim.describe());
        long index = ((ProposeResult.Accepted) r).index();
        assertTrue(sim.runUntil(() -> sim.checker().committedIndex() >= index, 5 * SECOND), sim.describe());
        removed.add(leader.id());
        // It hands over at once: a new leader well within one election timeout (1 s here).
        long steppedDown = sim.now();
        assertTrue(sim.runUntil(() -> sim.leader().isPresent() && !sim.leader().get().id().equals(leader.id()),
                5 * SECOND), sim.describe());
        assertFalse(leader.isLeader());
        assertTrue(sim.now() - steppedDown < SECOND, "the group was leaderless for "
                + (sim.now() - steppedDown) / 1000 + " ms\n" + sim.describe());
        long committed = sim.checker().committedIndex();
        load(sim, 50);
        assertTrue(sim.checker().committedIndex() > committed, sim.describe());
        List<String> rest = sim.ids().stream().filter(id -> !id.equals(leader.id())).toList();
        assertMembership(sim, Membership.ofVoters(rest), rest);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void aLaggingLearnerIsNotPromotedUntilItCatchesUp(long seed) {
        Simulation sim = cluster(seed, 3, 1, new HashSet<>());
        load(sim, 20);
        change(sim, addLearner("n4"));
        awaitCaughtUp(sim, "n4");
        sim.isolate("n4");
        load(sim, MAX_PROMOTION_LAG + 30);
        ProposeResult r = awaitLeader(sim).proposeMembershipChange(promote("n4"));
        assertTrue(r instanceof ProposeResult.Dropped d && d.reason().contains("entries behind the leader"),
                r + "\n" + sim.describe());
        sim.reconnect("n4");
        awaitCaughtUp(sim, "n4");
        change(sim, promote("n4"));
        load(sim, 20);
        assertMembership(sim, voters("n1", "n2", "n3", "n4"), List.of("n1", "n2", "n3", "n4"));
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void aChangeStrandedOnAPartitionedLeaderNeitherCommitsNorBlocksTheNextLeader(long seed) {
        Simulation sim = cluster(seed, 3, 2, new HashSet<>());
        awaitLeader(sim);
        load(sim, 50); // the leader has committed in its term: it takes changes
        SimNode old = awaitLeader(sim);
        sim.isolate(old.id());
        ProposeResult stranded = old.proposeMembershipChange(addLearner("n4"));
        assertInstanceOf(ProposeResult.Accepted.class, stranded, stranded + "\n" + sim.describe());
        assertTrue(sim.runUntil(() -> sim.leader().isPresent() && sim.leader().get() != old, 10 * SECOND),
                sim.describe());
        change(sim, addLearner("n5")); // the new leader is not held back by the stranded change
        sim.reconnect(old.id());
        load(sim, 50);
        awaitCaughtUp(sim, old.id());
        Membership expected = new Membership(List.of("n1", "n2", "n3"), List.of("n5"));
        assertMembership(sim, expected, List.of("n1", "n2", "n3", "n5"));
        assertEquals(0, sim.node("n4").storage().lastIndex(), "n4 was never added: nobody sent it anything");
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void theDissertationsSingleServerBugIsPrevented(long seed) {
        Simulation sim = singleServerBugScenario(seed, Mutation.NONE);
        assertEquals(voters("n1", "n2", "n3", "n4", "n5"), settledMembership(sim), "only the promotion could commit");
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void aSecondChangeWaitsForTheFirstToCommit(long seed) {
        Simulation sim = concurrentChangesScenario(seed, Mutation.NONE);
        // The first promotion could not commit without B or C, so the other side's leader replaced it.
        assertEquals(new Membership(List.of("n1", "n2", "n3"), List.of("n4", "n5")), settledMembership(sim));
    }

    /** Heals the network, lets the group settle under load, and returns the membership its leader and n1 agree on. */
    private static Membership settledMembership(Simulation sim) {
        sim.heal();
        load(sim, 50);
        awaitCaughtUp(sim, "n1");
        Membership end = awaitLeader(sim).membership();
        assertEquals(end, sim.node("n1").membership());
        return end;
    }

    /** Five nodes under a planted {@code mutation}, the last ones added as {@code learners} and caught up. */
    private static Simulation withCaughtUpLearners(long seed, Mutation mutation, String... learners) {
        Simulation sim = new Simulation(SimConfig.builder(5, seed).joiners(learners.length).mutation(mutation)
                .raftTuning(b -> b.unsafeSkippedMembershipRuleForTesting(mutation.skippedMembershipRule())).build());
        awaitLeader(sim);
        load(sim, 30);
        for (String learner : learners) {
            change(sim, addLearner(learner));
        }
        load(sim, 20);
        for (String learner : learners) {
            awaitCaughtUp(sim, learner);
        }
        return sim;
    }

    /**
     * Two changes in flight at once: leader A of voters A, B, C, cut off with caught-up learners D and E, proposes
     * promoting both. If the second is let through before the first commits, A, D and E are a majority of A..E and
     * commit on their own, while B and C, a majority of A, B, C, elect a leader and commit at the same indexes. With
     * one change at a time, the first promotion needs B or C, and the second is refused.
     */
    static Simulation concurrentChangesScenario(long seed, Mutation mutation) {
        Simulation sim = withCaughtUpLearners(seed, mutation, "n4", "n5");
        SimNode a = awaitLeader(sim);
        List<String> others = sim.ids().stream().filter(id -> !List.of(a.id(), "n4", "n5").contains(id)).toList();
        sim.partition(List.of(List.of(a.id(), "n4", "n5"), others));
        assertInstanceOf(ProposeResult.Accepted.class, a.proposeMembershipChange(promote("n4")), sim.describe());
        ProposeResult second = a.proposeMembershipChange(promote("n5"));
        assertEquals(mutation == Mutation.CONCURRENT_MEMBERSHIP_CHANGES,
                second instanceof ProposeResult.Accepted, second.toString());
        load(sim, 300); // proposals go to whichever side's leader the simulation finds first
        sim.runFor(5 * SECOND);
        return sim;
    }

    /**
     * The counterexample to single-server changes without the rule that a leader first commits in its term (raft-dev,
     * 2015), on voters A, B, C, D and a caught-up learner E: A, cut off with E, appends the promotion of E (voters
     * A..E, never committed elsewhere). B wins term 2 with C and D; at once D is cut off too, and B proposes removing
     * A before anything of its term is committed. If that is allowed, B and C commit it as a majority of B, C, D,
     * while A, D and E, a majority of A..E, elect A or E and commit the promotion at the same index: two different
     * committed entries. With the rule, B cannot commit anything without D.
     */
    static Simulation singleServerBugScenario(long seed, Mutation mutation) {
        Simulation sim = withCaughtUpLearners(seed, mutation, "n5");
        String a = awaitLeader(sim).id();
        List<String> others = sim.ids().stream().filter(id -> !id.equals(a) && !id.equals("n5")).toList();
        sim.partition(List.of(List.of(a, "n5"), others));
        ProposeResult promotion = sim.node(a).proposeMembershipChange(promote("n5"));
        assertInstanceOf(ProposeResult.Accepted.class, promotion, promotion + "\n" + sim.describe());
        String[] cutOff = {""};
        sim.addListener(new SimListener() {
            @Override
            public void onSoftState(SimNode node, SoftState state) {
                if (state.role() == Role.LEADER && others.contains(node.id()) && cutOff[0].isEmpty()) {
                    String b = node.id();
                    cutOff[0] = others.stream().filter(id -> !id.equals(b)).findFirst().orElseThrow();
                    List<String> bc = others.stream().filter(id -> !id.equals(cutOff[0])).toList();
                    sim.partition(List.of(List.of(a, "n5"), bc, List.of(cutOff[0])));
                    node.proposeMembershipChange(remove(a));
                }
            }
        });
        assertTrue(sim.runUntil(() -> !cutOff[0].isEmpty(), 10 * SECOND), sim.describe());
        sim.runFor(2 * SECOND);
        List<String> bc = others.stream().filter(id -> !id.equals(cutOff[0])).toList();
        sim.partition(List.of(List.of(a, "n5", cutOff[0]), bc));
        sim.runFor(10 * SECOND);
        return sim;
    }
}
