package io.raftkv.raft.sim;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.raftkv.proto.raft.ConfChange;
import io.raftkv.proto.raft.ConfChangeType;
import io.raftkv.raft.core.ProposeResult;
import java.nio.ByteBuffer;
import java.util.List;

/** What the membership scenarios do to a simulated group: load it, and change its membership through its leader. */
final class MembershipOps {
    static final long SECOND = 1_000_000;

    private MembershipOps() {
    }

    static ConfChange addLearner(String node) {
        return ConfChange.newBuilder().setType(ConfChangeType.CONF_ADD_LEARNER).setNode(node).build();
    }

    static ConfChange promote(String node) {
        return ConfChange.newBuilder().setType(ConfChangeType.CONF_PROMOTE_LEARNER).setNode(node).build();
    }

    static ConfChange remove(String node) {
        return ConfChange.newBuilder().setType(ConfChangeType.CONF_REMOVE_NODE).setNode(node).build();
    }

    /** Proposes {@code count} commands, one every 10 ms of virtual time, to whichever node leads. */
    static void load(Simulation sim, int count) {
        for (int i = 0; i < count; i++) {
            long n = sim.now();
            sim.leader().ifPresent(l -> l.propose(ByteBuffer.allocate(8).putLong(n).array()));
            sim.runFor(10_000);
        }
    }

    static SimNode awaitLeader(Simulation sim) {
        sim.runUntil(() -> sim.leader().isPresent(), 10 * SECOND);
        return sim.leader().orElseThrow(() -> new AssertionError("no leader\n" + sim.describe()));
    }

    /**
     * Proposes the change to the leader until one accepts it (an election may come between, or the leader's first
     * entry of its term may not be committed yet), then runs until it is committed.
     */
    static void change(Simulation sim, ConfChange change) {
        for (int attempt = 0; attempt < 50; attempt++) {
            ProposeResult r = awaitLeader(sim).proposeMembershipChange(change);
            if (r instanceof ProposeResult.Accepted a) {
                if (sim.runUntil(() -> sim.checker().committedIndex() >= a.index(), 5 * SECOND)) {
                    return;
                }
            } else {
                sim.runFor(100_000);
            }
        }
        fail("the change " + change + " never committed\n" + sim.describe());
    }

    /** Runs until node {@code id} has applied everything known to be committed (fails after 10 s). */
    static void awaitCaughtUp(Simulation sim, String id) {
        assertTrue(sim.runUntil(() -> caughtUp(sim, sim.node(id)), 10 * SECOND), id + "\n" + sim.describe());
    }

    /** Whether {@code node} is up and has applied everything known to be committed. */
    static boolean caughtUp(Simulation sim, SimNode node) {
        return node.isUp() && node.stateMachine().appliedIndex() >= sim.checker().committedIndex();
    }

    /** Loads the group until every node of {@code ids} has compacted its log (bounded). */
    static void loadUntilCompacted(Simulation sim, List<String> ids) {
        for (int round = 0; round < 20; round++) {
            load(sim, 50);
            if (ids.stream().allMatch(id -> sim.node(id).storage().firstIndex() > 1)) {
                return;
            }
        }
        fail("the nodes never compacted their logs\n" + sim.describe());
    }
}
