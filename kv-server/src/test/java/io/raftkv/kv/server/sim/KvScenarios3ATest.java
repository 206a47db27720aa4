package io.raftkv.kv.server.sim;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The 6.824 kvraft 3A scenarios (fault tolerance without snapshots) on the simulated cluster, each over a few seeds,
 * with the default build's {@link Workload}; budgets are in virtual time. The persistence scenarios of 3A are in
 * {@link KvPersistScenariosTest}; all of them run longer, over more seeds, in {@link KvScenariosSoakTest}.
 */
class KvScenarios3ATest {

    static Stream<Long> seeds() {
        return SimSettings.seeds();
    }

    /** One client (3A). */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void basic(long seed) {
        KvScenario.BASIC.run(seed);
    }

    /** Many clients (3A). */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void concurrent(long seed) {
        KvScenario.CONCURRENT.run(seed);
    }

    /** Unreliable net, many clients (3A). */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void unreliable(long seed) {
        KvScenario.UNRELIABLE.run(seed);
    }

    /** Concurrent append to same key, unreliable (3A): see {@link TargetedScenarios#concurrentAppendsToOneKey}. */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void unreliableOneKey(long seed) {
        KvScenario.UNRELIABLE_ONE_KEY.run(seed);
    }

    /** Progress in majority, none in minority, completion after heal (3A): {@link TargetedScenarios#onePartition}. */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void onePartition(long seed) {
        KvScenario.ONE_PARTITION.run(seed);
    }

    /** Partitions, one client (3A). */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void manyPartitionsOneClient(long seed) {
        KvScenario.MANY_PARTITIONS_ONE_CLIENT.run(seed);
    }

    /** Partitions, many clients (3A). */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void manyPartitionsManyClients(long seed) {
        KvScenario.MANY_PARTITIONS_MANY_CLIENTS.run(seed);
    }
}
