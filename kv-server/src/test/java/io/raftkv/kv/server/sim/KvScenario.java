package io.raftkv.kv.server.sim;

import static io.raftkv.kv.server.sim.TargetedScenarios.MAX_RAFT_STATE;

import io.raftkv.kv.server.sim.GenericScenario.Setup;

/**
 * The 6.824 kvraft 3A/3B scenarios, by the lab's test names, as runs of the simulated cluster. GenericTest and
 * GenericTestLinearizability configurations take a {@link Workload}; the scripted ones ignore it.
 */
enum KvScenario {
    // 3A
    BASIC(generic(1, false, false, false, -1)),
    CONCURRENT(generic(5, false, false, false, -1)),
    UNRELIABLE(generic(5, true, false, false, -1)),
    UNRELIABLE_ONE_KEY((name, seed, workload) -> TargetedScenarios.concurrentAppendsToOneKey(seed, true)),
    ONE_PARTITION((name, seed, workload) -> TargetedScenarios.onePartition(seed)),
    MANY_PARTITIONS_ONE_CLIENT(generic(1, false, false, true, -1)),
    MANY_PARTITIONS_MANY_CLIENTS(generic(5, false, false, true, -1)),
    PERSIST_ONE_CLIENT(generic(1, false, true, false, -1)),
    PERSIST_CONCURRENT(generic(5, false, true, false, -1)),
    PERSIST_CONCURRENT_UNRELIABLE(generic(5, true, true, false, -1)),
    PERSIST_PARTITION(generic(5, false, true, true, -1)),
    PERSIST_PARTITION_UNRELIABLE(generic(5, true, true, true, -1)),
    PERSIST_PARTITION_UNRELIABLE_LINEARIZABLE(linearizability(15, 7, true, true, true, -1)),
    // 3B
    SNAPSHOT_RPC((name, seed, workload) -> TargetedScenarios.snapshotRpc(seed)),
    SNAPSHOT_SIZE((name, seed, workload) -> TargetedScenarios.snapshotSize(seed)),
    SNAPSHOT_RECOVER(generic(1, false, true, false, MAX_RAFT_STATE)),
    SNAPSHOT_RECOVER_MANY_CLIENTS(generic(20, false, true, false, MAX_RAFT_STATE)),
    SNAPSHOT_UNRELIABLE(generic(5, true, false, false, MAX_RAFT_STATE)),
    SNAPSHOT_UNRELIABLE_RECOVER(generic(5, true, true, false, MAX_RAFT_STATE)),
    SNAPSHOT_UNRELIABLE_RECOVER_CONCURRENT_PARTITION(generic(5, true, true, true, MAX_RAFT_STATE)),
    SNAPSHOT_UNRELIABLE_RECOVER_CONCURRENT_PARTITION_LINEARIZABLE(
            linearizability(15, 7, true, true, true, MAX_RAFT_STATE));

    private interface Runner {
        void run(String name, long seed, Workload workload);
    }

    private final Runner runner;

    KvScenario(Runner runner) {
        this.runner = runner;
    }

    /** Runs the scenario with the default build's workload. */
    void run(long seed) {
        run(seed, Workload.DEFAULT);
    }

    void run(long seed, Workload workload) {
        runner.run(name(), seed, workload);
    }

    private static Runner generic(int clients, boolean unreliable, boolean crash, boolean partitions,
            long maxRaftState) {
        Setup setup = Setup.generic(clients, unreliable, crash, partitions, maxRaftState);
        return (name, seed, workload) -> GenericScenario.run(name, setup, seed, workload);
    }

    private static Runner linearizability(int clients, int servers, boolean unreliable, boolean crash,
            boolean partitions, long maxRaftState) {
        Setup setup = Setup.linearizability(clients, servers, unreliable, crash, partitions, maxRaftState);
        return (name, seed, workload) -> GenericScenario.run(name, setup, seed, workload);
    }
}
