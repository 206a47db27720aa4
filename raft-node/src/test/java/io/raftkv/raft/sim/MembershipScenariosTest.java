package io.raftkv.raft.sim;

import static io.raftkv.raft.sim.MembershipOps.SECOND;
import static io.raftkv.raft.sim.MembershipOps.addLearner;
import static io.raftkv.raft.sim.MembershipOps.awaitCaughtUp;
import static io.raftkv.raft.sim.MembershipOps.change;
import static io.raftkv.raft.sim.MembershipOps.load;
import static io.raftkv.raft.sim.MembershipOps.loadUntilCompacted;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.raftkv.proto.raft.MessageType;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.Role;
import io.raftkv.raft.core.SoftState;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Membership changes in the simulator, over several seeds: a learner added to a running group of three under load
 * catches up (from a snapshot when the log it needs was compacted), never campaigns, counts towards no quorum, and
 * keeps its membership across crashes. The safety checker runs throughout.
 */
class MembershipScenariosTest {
    private static final List<String> VOTERS = List.of("n1", "n2", "n3");
    private static final Membership WITH_LEARNER = new Membership(List.of("n1", "n2", "n3"), List.of("n4"));

    /** Three voters n1..n3, and n4, which starts outside the group; the test fails if n4 ever campaigns. */
    private static Simulation cluster(long seed, long snapshotLogBytes) {
        Simulation sim = new Simulation(SimConfig.builder(4, seed).joiners(1).snapshotLogBytes(snapshotLogBytes).build());
        sim.addListener(new SimListener() {
            @Override
            public void onSoftState(SimNode node, SoftState state) {
                if (node.id().equals("n4") && state.role() != Role.FOLLOWER) {
                    fail("learner n4 became " + state.role() + "\n" + sim.describe());
                }
            }
        });
        return sim;
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void aLearnerAddedUnderLoadCatchesUpFromTheLog(long seed) {
        Simulation sim = cluster(seed, 0);
        load(sim, 100);
        SimNode n4 = sim.node("n4");
        assertEquals(0, n4.storage().lastIndex(), "n4 is not a member yet: nobody sends it anything");
        change(sim, addLearner("n4"));
        load(sim, 100);
        awaitCaughtUp(sim, "n4");
        for (SimNode node : sim.nodes()) {
            assertEquals(WITH_LEARNER, node.membership(), node.id());
        }
        assertEquals(0, sim.network().sent(MessageType.MSG_SNAPSHOT), "the whole log was there to send");
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void aLearnerAddedAfterCompactionCatchesUpFromASnapshot(long seed) {
        Simulation sim = cluster(seed, 2_000);
        loadUntilCompacted(sim, VOTERS);
        SimNode n4 = sim.node("n4");
        change(sim, addLearner("n4"));
        load(sim, 50);
        awaitCaughtUp(sim, "n4");
        assertTrue(sim.network().sent(MessageType.MSG_SNAPSHOT) > 0, "the log n4 needed was compacted");
        assertEquals(WITH_LEARNER, n4.membership());
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void aLearnerCountsTowardsNoQuorum(long seed) {
        Simulation sim = cluster(seed, 0);
        load(sim, 20);
        change(sim, addLearner("n4"));
        SimNode leader = sim.leader().orElseThrow();
        for (SimNode node : sim.nodes()) {
            if (node != leader && !node.id().equals("n4")) {
                sim.crash(node.id());
            }
        }
        long committed = sim.checker().committedIndex();
        load(sim, 50); // the leader and the learner have these entries: not a majority of the voters
        sim.runFor(3 * SECOND);
        assertEquals(committed, sim.checker().committedIndex(), "entries committed without a majority of voters");
        assertTrue(sim.leader().isEmpty(), "a leader that hears only from a learner must step down\n"
                + sim.describe());
        for (SimNode node : sim.nodes()) {
            if (!node.isUp()) {
                sim.restart(node.id());
            }
        }
        assertTrue(sim.runUntil(() -> sim.leader().isPresent(), 10 * SECOND), sim.describe());
        load(sim, 50);
        assertTrue(sim.checker().committedIndex() > committed, sim.describe());
        awaitCaughtUp(sim, "n4");
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void everyNodeKeepsTheMembershipAcrossCrashes(long seed) {
        Simulation sim = cluster(seed, 2_000);
        load(sim, 100);
        change(sim, addLearner("n4"));
        loadUntilCompacted(sim, VOTERS); // past the change, so the voters' log bases must carry it
        for (SimNode node : sim.nodes()) {
            sim.crash(node.id());
            sim.restart(node.id());
            assertEquals(WITH_LEARNER, node.membership(), node.id() + " after a restart");
            sim.runFor(SECOND);
        }
        load(sim, 50);
        awaitCaughtUp(sim, "n4");
        for (SimNode node : sim.nodes()) {
            assertTrue(node.storage().firstIndex() > 1 || node.id().equals("n4"),
                    node.id() + " never compacted: the test does not cover snapshots carrying the membership");
        }
    }
}
