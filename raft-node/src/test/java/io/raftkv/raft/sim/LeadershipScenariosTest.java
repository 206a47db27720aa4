package io.raftkv.raft.sim;

import static io.raftkv.raft.sim.ScenarioCluster.ELECTION_TIMEOUT;
import static io.raftkv.raft.sim.ScenarioCluster.command;
import static io.raftkv.raft.sim.Scheduler.MILLIS;
import static io.raftkv.raft.sim.Scheduler.SECONDS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.raft.core.Role;
import io.raftkv.raft.core.ProposeResult;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** PreVote, CheckQuorum and leadership transfer on the simulator. */
class LeadershipScenariosTest {

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void aPartitionedFollowerRejoiningDoesNotDisruptAStableLeader(long seed) {
        ScenarioCluster cfg = new ScenarioCluster(5, false, false, seed);
        int leader = cfg.checkOneLeader();
        cfg.one(command(1), 5, true);
        long term = cfg.node(leader).term();
        int follower = (leader + 1) % 5;
        cfg.disconnect(follower);
        cfg.sleep(20 * SECONDS); // ten and more election timeouts alone
        assertEquals(term, cfg.node(follower).term(), "pre-voting never bumped the cut-off node's term");
        cfg.connect(follower);
        cfg.one(command(2), 5, true);
        cfg.sleep(5 * SECONDS);
        assertEquals(leader, cfg.checkOneLeader(), "the leader was deposed");
        assertEquals(term, cfg.node(leader).term());
        assertEquals(1, cfg.sim().checker().leadersByTerm().size(), "one election in the whole run");
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void withoutPreVoteTheSameRejoinDeposesTheLeader(long seed) {
        // The contrast that shows what PreVote buys: the cut-off node campaigns in ever higher terms, and its
        // higher term forces the healthy leader out when it comes back.
        ScenarioCluster cfg = new ScenarioCluster(5, false, false, seed, b -> b.preVote(false));
        int leader = cfg.checkOneLeader();
        long term = cfg.node(leader).term();
        int follower = (leader + 1) % 5;
        cfg.disconnect(follower);
        cfg.sleep(20 * SECONDS);
        assertTrue(cfg.node(follower).term() > term + 5, "without PreVote the cut-off node's term grows");
        cfg.connect(follower);
        cfg.one(command(2), 5, true);
        assertTrue(cfg.node(cfg.checkOneLeader()).term() > term, "the old term could not survive");
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void aLeaderCutOffFromItsQuorumStepsDown(long seed) {
        ScenarioCluster cfg = new ScenarioCluster(5, false, false, seed);
        int old = cfg.checkOneLeader();
        cfg.one(command(1), 5, true);
        // The leader and one follower on one side, three nodes on the other.
        int buddy = (old + 1) % 5;
        List<String> minority = List.of(cfg.node(old).id(), cfg.node(buddy).id());
        List<String> majority = cfg.nodes().stream().map(SimNode::id).filter(id -> !minority.contains(id)).toList();
        cfg.sim().partition(List.of(minority, majority));
        long cut = cfg.sim().now();
        assertTrue(cfg.sim().runUntil(() -> !cfg.node(old).isLeader(), 2 * (2 * ELECTION_TIMEOUT)),
                "a leader without its quorum must step down within two election timeouts");
        long stepDown = cfg.sim().now() - cut;
        assertTrue(cfg.sim().runUntil(() -> majority.stream().anyMatch(id -> cfg.sim().node(id).isLeader()),
                5 * SECONDS), "the majority elects a leader within 5 s");
        assertInstanceOf(ProposeResult.NotLeader.class, cfg.start(old, command(99)));
        cfg.sim().heal();
        cfg.one(command(3), 5, true);
        System.out.printf("CheckQuorum: the cut-off leader stepped down after %.2f s%n", stepDown / 1e6);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void leadershipMovesToTheChosenNodeWithinAFewRoundTrips(long seed) {
        ScenarioCluster cfg = new ScenarioCluster(3, false, false, seed);
        int leader = cfg.checkOneLeader();
        long index = cfg.one(command(7), 3, true);
        int target = (leader + 1) % 3;
        long start = cfg.sim().now();
        assertTrue(cfg.node(leader).transferLeadership(cfg.node(target).id()));
        assertTrue(cfg.sim().runUntil(() -> cfg.node(target).isLeader(), ELECTION_TIMEOUT),
                "the transfer finishes well within an election timeout");
        long took = cfg.sim().now() - start;
        assertTrue(took < 200 * MILLIS, "transfer took " + took / 1000 + " ms");
        assertEquals(cfg.node(leader).term() , cfg.node(target).term());
        assertArrayEquals(command(7), cfg.nCommitted(index).command().toByteArray());
        cfg.one(command(8), 3, true);
        assertEquals(target, cfg.checkOneLeader());
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void aLaggingTransfereeIsCaughtUpBeforeItCampaigns(long seed) {
        ScenarioCluster cfg = new ScenarioCluster(3, false, false, seed);
        int leader = cfg.checkOneLeader();
        int target = (leader + 1) % 3;
        cfg.disconnect(target);
        for (int i = 0; i < 50; i++) {
            cfg.one(command(100 + i), 2, true);
        }
        cfg.connect(target);
        assertTrue(cfg.node(leader).transferLeadership(cfg.node(target).id()));
        assertTrue(cfg.sim().runUntil(() -> cfg.node(target).isLeader(), ELECTION_TIMEOUT));
        cfg.one(command(1), 3, true);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void aTransferToAnUnreachableNodeIsAbandoned(long seed) {
        ScenarioCluster cfg = new ScenarioCluster(3, false, false, seed);
        int leader = cfg.checkOneLeader();
        int target = (leader + 1) % 3;
        cfg.disconnect(target);
        cfg.node(leader).transferLeadership(cfg.node(target).id());
        assertInstanceOf(ProposeResult.Dropped.class, cfg.start(leader, command(1)));
        cfg.sleep(2 * ELECTION_TIMEOUT);
        assertTrue(cfg.node(leader).isLeader());
        assertNotEquals(Role.LEADER, cfg.node(target).role());
        cfg.one(command(2), 2, true);
    }
}
