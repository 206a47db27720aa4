package io.raftkv.kv.server.sim;

import static io.raftkv.raft.sim.Scheduler.SECONDS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.raft.api.NotLeaderException;
import io.raftkv.raft.api.Proposal;
import io.raftkv.raft.api.ProposalLostException;
import io.raftkv.raft.sim.SimConfig;
import io.raftkv.raft.sim.SimNode;
import io.raftkv.raft.sim.Simulation;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * The RaftService contract over simulated nodes, as the runtime's driver keeps it (with the simulator's digest state
 * machine, which echoes).
 */
class SimRaftServiceTest {
    private final Simulation sim = new Simulation(SimConfig.builder(3, 42).build());
    private final Map<String, SimRaftService> services = new HashMap<>();

    SimRaftServiceTest() {
        for (SimNode node : sim.nodes()) {
            services.put(node.id(), new SimRaftService(node));
        }
    }

    private String leader() {
        assertTrue(sim.runUntil(() -> sim.leader().isPresent(), 10 * SECONDS), "no leader");
        return sim.leader().orElseThrow().id();
    }

    private String follower(String leader) {
        return sim.ids().stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
    }

    private <T> T await(CompletableFuture<T> future) {
        assertTrue(sim.runUntil(future::isDone, 10 * SECONDS), "the future did not complete");
        return future.join();
    }

    private Throwable failureOf(CompletableFuture<?> future) {
        assertTrue(sim.runUntil(future::isDone, 10 * SECONDS), "the future did not complete");
        return assertThrows(CompletionException.class, future::join).getCause();
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aProposalCompletesWithTheReplyOfItsEntry() {
        Proposal proposal = await(services.get(leader()).propose(bytes("one")));
        assertArrayEquals(bytes("one"), await(proposal.applied()));
    }

    @Test
    void aFollowerRefusesProposalsNamingTheLeader() {
        String leader = leader();
        sim.runFor(SECONDS); // let the followers hear of it
        Throwable failure = failureOf(services.get(follower(leader)).propose(bytes("one")));
        NotLeaderException notLeader = assertInstanceOf(NotLeaderException.class, failure);
        assertEquals(leader, notLeader.leaderId());
    }

    @Test
    void aProposalIsLostWhenAnotherLeaderTakesItsPlace() {
        String leader = leader();
        sim.isolate(leader);
        Proposal proposal = await(services.get(leader).propose(bytes("stranded")));
        sim.runFor(5 * SECONDS); // the others elect a new leader; the old one steps down
        sim.reconnect(leader);
        assertInstanceOf(ProposalLostException.class, failureOf(proposal.applied()));
    }

    @Test
    void readBarriersCompleteOnTheLeaderAndOnFollowers() {
        String leader = leader();
        await(await(services.get(leader).propose(bytes("one"))).applied());
        await(services.get(leader).readBarrier());
        await(services.get(follower(leader)).readBarrier());
    }

    @Test
    void aReadBarrierFailsWhenItsLeaderIsCutOff() {
        String leader = leader();
        await(await(services.get(leader).propose(bytes("one"))).applied());
        sim.isolate(leader);
        Throwable failure = failureOf(services.get(leader).readBarrier());
        assertTrue(failure instanceof NotLeaderException || failure instanceof TimeoutException, failure.toString());
    }

    @Test
    void aLeadershipTransferCompletesOnceTheTargetLeads() {
        String leader = leader();
        String target = follower(leader);
        await(await(services.get(leader).propose(bytes("one"))).applied());
        await(services.get(leader).transferLeadership(target));
        assertEquals(target, sim.leader().orElseThrow().id());
    }
}
