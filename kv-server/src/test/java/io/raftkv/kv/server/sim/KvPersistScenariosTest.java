package io.raftkv.kv.server.sim;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The 6.824 kvraft 3A persistence scenarios on the simulated cluster: after each iteration every server is killed
 * and restarted from its disk (its Raft state and its RocksDB directory), while clients still have requests open.
 */
class KvPersistScenariosTest {

    static Stream<Long> seeds() {
        return SimSettings.seeds();
    }

    /** Restarts, one client (3A). */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void persistOneClient(long seed) {
        KvScenario.PERSIST_ONE_CLIENT.run(seed);
    }

    /** Restarts, many clients (3A). */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void persistConcurrent(long seed) {
        KvScenario.PERSIST_CONCURRENT.run(seed);
    }

    /** Unreliable net, restarts, many clients (3A). */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void persistConcurrentUnreliable(long seed) {
        KvScenario.PERSIST_CONCURRENT_UNRELIABLE.run(seed);
    }

    /** Restarts, partitions, many clients (3A). */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void persistPartition(long seed) {
        KvScenario.PERSIST_PARTITION.run(seed);
    }

    /** Unreliable net, restarts, partitions, many clients (3A). */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void persistPartitionUnreliable(long seed) {
        KvScenario.PERSIST_PARTITION_UNRELIABLE.run(seed);
    }

    /** Unreliable net, restarts, partitions, linearizability checks (3A): 15 clients, 7 servers. */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void persistPartitionUnreliableLinearizable(long seed) {
        KvScenario.PERSIST_PARTITION_UNRELIABLE_LINEARIZABLE.run(seed);
    }
}
