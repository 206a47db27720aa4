package io.raftkv.raft.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.raft.core.ProposeResult;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The simulator elects a leader and replicates a command to every node. */
class SimulationBasicsTest {

    @Test
    void electsLeaderAndReplicates() {
        Simulation sim = new Simulation(SimConfig.builder(3, 1).build());
        assertTrue(sim.runUntil(() -> sim.leader().isPresent(), 5 * Scheduler.SECONDS), sim::describe);
        SimNode leader = sim.leader().orElseThrow();
        ProposeResult r = leader.propose("hello".getBytes(StandardCharsets.UTF_8));
        long index = ((ProposeResult.Accepted) r).index();
        assertTrue(sim.runUntil(() -> sim.nodes().stream().allMatch(n -> sim.checker().applied(n.id()) >= index),
                2 * Scheduler.SECONDS), sim::describe);
        assertEquals("hello", sim.checker().committedData(index).toStringUtf8());
    }
}
