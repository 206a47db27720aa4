package io.raftkv.kv.server.sim;

import static io.raftkv.raft.sim.Scheduler.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.kv.server.sim.GenericScenario.Setup;
import io.raftkv.testkit.linearizability.CheckResult;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The scenarios' checks would notice if a retried write were applied twice: on an unreliable network clerks retry
 * writes whose replies were lost, so with every node's duplicate filter broken ({@link DuplicateBlindStateMachine})
 * each check must fail on its own, where the same seeds pass with the real filter.
 */
class ExactlyOnceMattersTest {

    static Stream<Long> seeds() {
        return SimSettings.seeds();
    }

    /** The lab's concurrent-append check finds a token twice in the key's value. */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void theAppendPatternCheckCatchesADoubleApply(long seed) {
        AssertionError failure = assertThrows(AssertionError.class,
                () -> TargetedScenarios.concurrentAppendsToOneKey(seed, false));
        assertTrue(failure.getMessage().contains("duplicate element"), failure.getMessage());
    }

    /** A GenericTest client reads its own key and finds more than its own writes built. */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void theOwnKeyChecksCatchADoubleApply(long seed) {
        Setup broken = Setup.generic(5, true, false, false, -1).withBrokenDuplicateFilter();
        AssertionError failure = assertThrows(AssertionError.class,
                () -> GenericScenario.run("UNRELIABLE with a broken duplicate filter", broken, seed,
                        Workload.DEFAULT));
        assertTrue(failure.getMessage().contains("get wrong value")
                || failure.getMessage().contains("duplicate element"), failure.getMessage());
    }

    /**
     * The linearizability checker alone, on the random workload's history, finds no valid order; with the real
     * filter the same run is linearizable.
     */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void theLinearizabilityCheckCatchesADoubleApply(long seed) {
        CheckResult broken = randomWorkload(seed, false);
        assertEquals(CheckResult.Verdict.NOT_LINEARIZABLE, broken.verdict(), broken.toString());
        CheckResult real = randomWorkload(seed, true);
        assertEquals(CheckResult.Verdict.LINEARIZABLE, real.verdict(), real.toString());
    }

    /** Five clients of random appends, puts and gets on three keys for 10 s of an unreliable network. */
    private static CheckResult randomWorkload(long seed, boolean duplicateFilter) {
        try (KvSimCluster cluster = KvSimCluster.builder(3, seed).unreliable(true).duplicateFilter(duplicateFilter)
                .build()) {
            List<RandomOpsClient> clients = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                RandomOpsClient client = new RandomOpsClient(cluster.newClerk(), 3, cluster.sim().random());
                clients.add(client);
                client.start();
            }
            cluster.runFor(10 * SECONDS);
            clients.forEach(RandomOpsClient::stop);
            if (!cluster.runUntil(() -> clients.stream().allMatch(RandomOpsClient::finished), 30 * SECONDS)) {
                throw cluster.fail("the clients did not finish");
            }
            return cluster.history().checkLinearizable();
        }
    }
}
