package io.raftkv.kv.server.sim;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The 6.824 kvraft 3B scenarios (snapshots and log compaction) on the simulated cluster. A node compacts its log
 * into a snapshot (a RocksDB checkpoint) once its persisted Raft state reaches maxraftstate (1000) bytes, as a server
 * run with {@code --max-raft-state} does.
 */
class KvSnapshotScenariosTest {

    static Stream<Long> seeds() {
        return SimSettings.seeds();
    }

    /** InstallSnapshot RPC (3B): see {@link TargetedScenarios#snapshotRpc}. */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void snapshotRpc(long seed) {
        KvScenario.SNAPSHOT_RPC.run(seed);
    }

    /** Snapshot size is reasonable (3B): see {@link TargetedScenarios#snapshotSize}. */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void snapshotSize(long seed) {
        KvScenario.SNAPSHOT_SIZE.run(seed);
    }

    /** Restarts, snapshots, one client (3B). */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void snapshotRecover(long seed) {
        KvScenario.SNAPSHOT_RECOVER.run(seed);
    }

    /** Restarts, snapshots, many clients (3B): 20 clients. */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void snapshotRecoverManyClients(long seed) {
        KvScenario.SNAPSHOT_RECOVER_MANY_CLIENTS.run(seed);
    }

    /** Unreliable net, snapshots, many clients (3B). */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void snapshotUnreliable(long seed) {
        KvScenario.SNAPSHOT_UNRELIABLE.run(seed);
    }

    /** Unreliable net, restarts, snapshots, many clients (3B). */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void snapshotUnreliableRecover(long seed) {
        KvScenario.SNAPSHOT_UNRELIABLE_RECOVER.run(seed);
    }

    /** Unreliable net, restarts, partitions, snapshots, many clients (3B). */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void snapshotUnreliableRecoverConcurrentPartition(long seed) {
        KvScenario.SNAPSHOT_UNRELIABLE_RECOVER_CONCURRENT_PARTITION.run(seed);
    }

    /** Unreliable net, restarts, partitions, snapshots, linearizability checks (3B): 15 clients, 7 servers. */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void snapshotUnreliableRecoverConcurrentPartitionLinearizable(long seed) {
        KvScenario.SNAPSHOT_UNRELIABLE_RECOVER_CONCURRENT_PARTITION_LINEARIZABLE.run(seed);
    }
}
