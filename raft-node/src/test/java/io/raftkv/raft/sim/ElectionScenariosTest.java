package io.raftkv.raft.sim;

import static io.raftkv.raft.sim.ScenarioCluster.ELECTION_TIMEOUT;
import static io.raftkv.raft.sim.Scheduler.MILLIS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Leader election (the 6.824 2A scenarios), in virtual time, each over several seeds. */
class ElectionScenariosTest {

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void initialElection(long seed) {
        ScenarioCluster cfg = new ScenarioCluster(3, false, false, seed);
        cfg.checkOneLeader();
        cfg.sleep(50 * MILLIS);
        long term1 = cfg.checkTerms();
        assertTrue(term1 >= 1, "term is " + term1 + ", but should be at least 1");
        // Without failures the leader and term stay.
        cfg.sleep(2 * ELECTION_TIMEOUT);
        long term2 = cfg.checkTerms();
        assertEquals(term1, term2, "term changed even though there were no failures");
        cfg.checkOneLeader();
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void reElection(long seed) {
        ScenarioCluster cfg = new ScenarioCluster(3, false, false, seed);
        int leader1 = cfg.checkOneLeader();
        // If the leader disconnects, a new one is elected.
        cfg.disconnect(leader1);
        cfg.checkOneLeader();
        // The old leader rejoining does not disturb the new one.
        cfg.connect(leader1);
        int leader2 = cfg.checkOneLeader();
        // Without a quorum no leader is elected.
        cfg.disconnect(leader2);
        cfg.disconnect((leader2 + 1) % 3);
        cfg.sleep(2 * ELECTION_TIMEOUT);
        cfg.checkNoLeader();
        // With a quorum again, a leader is elected.
        cfg.connect((leader2 + 1) % 3);
        cfg.checkOneLeader();
        // The last node rejoining does not prevent a leader from existing.
        cfg.connect(leader2);
        cfg.checkOneLeader();
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void manyElections(long seed) {
        int servers = 7;
        ScenarioCluster cfg = new ScenarioCluster(servers, false, false, seed);
        cfg.checkOneLeader();
        for (int iter = 1; iter < 10; iter++) {
            int i1 = cfg.randomInt(servers);
            int i2 = cfg.randomInt(servers);
            int i3 = cfg.randomInt(servers);
            cfg.disconnect(i1);
            cfg.disconnect(i2);
            cfg.disconnect(i3);
            // Either the current leader is still alive, or the remaining four elect a new one.
            cfg.checkOneLeader();
            cfg.connect(i1);
            cfg.connect(i2);
            cfg.connect(i3);
        }
        cfg.checkOneLeader();
    }
}
