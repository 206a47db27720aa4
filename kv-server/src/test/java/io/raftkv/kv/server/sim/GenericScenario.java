package io.raftkv.kv.server.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The lab's GenericTest and GenericTestLinearizability on the simulated cluster. Each of a few iterations: clients
 * work for a while (meanwhile, with partitions, the servers are repartitioned at random every election timeout);
 * then the clients are told to stop, the network heals, and with crashes every server is killed and, an election
 * timeout later, restarted; the clients finish their last operation; then the checks:
 *
 * <ul>
 *   <li>GenericTest: every Get a client made returned exactly what its own writes built; its key holds each of its
 *       acknowledged appends exactly once, in order, and nothing it did not append (appends of unknown outcome at
 *       most once);
 *   <li>with snapshots, every server's persisted Raft state is under maxraftstate (the lab allows 8 x); without,
 *       no server has a snapshot;
 *   <li>every client's first Put and the checker's final Gets complete (the cluster is available); on a reliable,
 *       fault-free run no operation times out at all;
 *   <li>at the end, the whole history is linearizable and no Get ever saw an append twice.
 * </ul>
 */
final class GenericScenario {

    /**
     * One of the lab's configurations.
     *
     * @param randomKeys the linearizability workload (random keys, appends, puts and gets) instead of one key per
     *     client
     * @param maxRaftState the snapshot threshold in bytes, or -1 for no snapshots
     */
    record Setup(int clients, int servers, boolean unreliable, boolean crash, boolean partitions, long maxRaftState,
            boolean randomKeys, boolean duplicateFilter) {

        /** GenericTest (5 servers, a key per client). */
        static Setup generic(int clients, boolean unreliable, boolean crash, boolean partitions, long maxRaftState) {
            return new Setup(clients, 5, unreliable, crash, partitions, maxRaftState, false, true);
        }

        /** GenericTestLinearizability. */
        static Setup linearizability(int clients, int servers, boolean unreliable, boolean crash, boolean partitions,
                long maxRaftState) {
            return new Setup(clients, servers, unreliable, crash, partitions, maxRaftState, true, true);
        }

        /** The same with every node's duplicate filter broken ({@link DuplicateBlindStateMachine}). */
        Setup withBrokenDuplicateFilter() {
            return new Setup(clients, servers, unreliable, crash, partitions, maxRaftState, randomKeys, false);
        }

        boolean faultFree() {
            return !unreliable && !crash && !partitions;
        }
    }

    private GenericScenario() {}

    static void run(String title, Setup setup, long seed, Workload workload) {
        long started = System.nanoTime();
        long clientPhaseMicros = workload.phaseMicros(setup.clients(), setup.unreliable());
        try (KvSimCluster cluster = KvSimCluster.builder(setup.servers(), seed).unreliable(setup.unreliable())
                .maxRaftState(setup.maxRaftState()).duplicateFilter(setup.duplicateFilter()).build()) {
            SimClerk checker = cluster.newClerk();
            Partitioner partitioner = new Partitioner(cluster, cluster.sim().random());
            for (int iteration = 0; iteration < workload.iterations(); iteration++) {
                String when = "iteration " + iteration;
                List<OwnKeyClient> ownKeyClients = new ArrayList<>();
                List<ClientActor> clients = new ArrayList<>();
                for (int c = 0; c < setup.clients(); c++) {
                    if (setup.randomKeys()) {
                        clients.add(new RandomOpsClient(cluster.newClerk(), setup.clients(), cluster.sim().random()));
                    } else {
                        OwnKeyClient client = new OwnKeyClient(cluster, cluster.newClerk(), Integer.toString(c),
                                cluster.sim().random());
                        ownKeyClients.add(client);
                        clients.add(client);
                    }
                }
                clients.forEach(ClientActor::start);
                work(cluster, setup, partitioner, clientPhaseMicros);
                clients.forEach(ClientActor::stop);
                partitioner.stop();
                recover(cluster, setup);
                long finishBudget = SimSettings.clerkTimeoutMicros() + 5 * KvSimCluster.ELECTION_TIMEOUT;
                if (!cluster.runUntil(() -> clients.stream().allMatch(ClientActor::finished), finishBudget)) {
                    throw cluster.fail(when + ": clients did not finish their last operation");
                }
                for (OwnKeyClient client : ownKeyClients) {
                    checkOwnKey(cluster, checker, client, when);
                }
                if (setup.maxRaftState() > 0) {
                    cluster.checkRaftStateTrimmed(setup.maxRaftState(), when);
                } else if (cluster.snapshotSize() > 0) {
                    throw cluster.fail(when + ": a snapshot of " + cluster.snapshotSize()
                            + " bytes, but snapshots should not be used without maxraftstate");
                }
            }
            if (setup.faultFree() && cluster.history().operations().stream().anyMatch(op -> !op.outcomeKnown())) {
                throw cluster.fail("an operation timed out although nothing failed");
            }
            cluster.checkHistory();
            SimSettings.report(title, seed, cluster, started);
        }
    }

    /** The clients' phase; with partitions, the servers are repartitioned after a calm first moment. */
    private static void work(KvSimCluster cluster, Setup setup, Partitioner partitioner, long phaseMicros) {
        if (setup.partitions()) {
            cluster.runFor(Math.min(KvSimCluster.ELECTION_TIMEOUT, phaseMicros / 2));
            partitioner.start();
        }
        cluster.runFor(phaseMicros);
    }

    /** After the clients were told to stop: heal the network, and with crashes kill and restart every server. */
    private static void recover(KvSimCluster cluster, Setup setup) {
        if (setup.partitions()) {
            // A client may have a request pending in a minority; it completes once a new term starts.
            cluster.heal();
            cluster.runFor(KvSimCluster.ELECTION_TIMEOUT);
        }
        if (setup.crash()) {
            cluster.crashAll();
            cluster.runFor(KvSimCluster.ELECTION_TIMEOUT);
            cluster.restartAll();
            cluster.heal();
        }
    }

    /** The lab's final check of a client's key (checkClntAppends), by another clerk. */
    private static void checkOwnKey(KvSimCluster cluster, SimClerk checker, OwnKeyClient client, String when) {
        if (!client.putAcknowledged()) {
            throw cluster.fail(when + ": clerk " + client.clerkNumber() + "'s first Put timed out");
        }
        String value = cluster.get(checker, client.key());
        if (value == null) {
            throw cluster.fail(when + ": key " + client.key() + " is gone after an acknowledged Put");
        }
        String problem = AppendTokens.check(value, Map.of(client.clerkNumber(), client.appends()));
        if (problem != null) {
            throw cluster.fail(when + ", key " + client.key() + ": " + problem);
        }
    }
}
