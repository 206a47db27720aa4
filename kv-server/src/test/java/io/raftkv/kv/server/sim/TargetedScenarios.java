package io.raftkv.kv.server.sim;

import static io.raftkv.kv.server.sim.KvSimCluster.ELECTION_TIMEOUT;
import static io.raftkv.raft.sim.Scheduler.MILLIS;
import static io.raftkv.raft.sim.Scheduler.SECONDS;

import io.raftkv.common.client.ClientOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The 6.824 kvraft scenarios that are not GenericTest runs, and one scenario of ours, each a script over a
 * {@link KvSimCluster}.
 */
final class TargetedScenarios {
    /** The lab's maxraftstate for the snapshot scenarios. */
    static final long MAX_RAFT_STATE = 1000;
    /**
     * The bound on a snapshot of one small key and one client session. The lab allows 500 bytes for a Go map; a
     * RocksDB checkpoint carries tens of kilobytes of fixed files (OPTIONS, MANIFEST, one small SST per column
     * family), so the bound here is what that layout needs with room to spare, and still far below what a snapshot
     * that kept the log or every overwritten value would reach.
     */
    static final int MAX_SNAPSHOT_BYTES = 128 * 1024;

    private TargetedScenarios() {}

    /**
     * Concurrent append to same key, unreliable (3A): five clients each append ten tokens to one key; it ends up
     * holding every one of them exactly once, each client's in order, in an order real time allows.
     */
    static void concurrentAppendsToOneKey(long seed, boolean duplicateFilter) {
        try (KvSimCluster cluster = KvSimCluster.builder(3, seed).unreliable(true)
                .duplicateFilter(duplicateFilter).build()) {
            long started = System.nanoTime();
            SimClerk ck = cluster.newClerk();
            cluster.put(ck, "k", "");
            List<AppendingClient> clients = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                AppendingClient client = new AppendingClient(cluster.newClerk(), "k", 10);
                clients.add(client);
                client.start();
            }
            if (!cluster.runUntil(() -> clients.stream().allMatch(AppendingClient::finished), 10 * 11 * SECONDS)) {
                throw cluster.fail("the clients did not finish their appends");
            }
            Map<Integer, ClientAppends> appends = new LinkedHashMap<>();
            clients.forEach(c -> appends.put(c.clerkNumber(), c.appends()));
            String value = cluster.get(ck, "k");
            String problem = AppendTokens.check(value, appends);
            if (problem == null) {
                problem = AppendOrder.check(cluster.history().operations(), "k", value);
            }
            if (problem != null) {
                throw cluster.fail(problem);
            }
            SimSettings.report(KvScenario.UNRELIABLE_ONE_KEY.name(), seed, cluster, started);
        }
    }

    /**
     * Not a lab scenario: clients whose clerks give up after one second, through an outage of a majority of the
     * servers. Their writes then have unknown outcomes (some were appended to a leader's log that loses quorum and
     * may commit them after the restart), and every check must take them as "maybe": each client's reads, each
     * key's final value, and the history.
     */
    static void clientsGiveUpDuringAnOutage(long seed) {
        ClientOptions impatient = KvSimCluster.CLERK_OPTIONS.withTimeout(Duration.ofSeconds(1));
        try (KvSimCluster cluster = KvSimCluster.builder(5, seed).clerkOptions(impatient).build()) {
            long started = System.nanoTime();
            cluster.leader(); // the first writes must not time out for want of an election
            List<OwnKeyClient> clients = new ArrayList<>();
            for (int c = 0; c < 5; c++) {
                OwnKeyClient client = new OwnKeyClient(cluster, cluster.newClerk(), Integer.toString(c),
                        cluster.sim().random());
                clients.add(client);
                client.start();
            }
            cluster.runFor(SECONDS);
            List<String> majority = cluster.ids(0, 1, 2);
            majority.forEach(cluster::crash);
            cluster.runFor(3 * SECONDS);
            majority.forEach(cluster::restart);
            cluster.runFor(3 * SECONDS);
            clients.forEach(OwnKeyClient::stop);
            if (!cluster.runUntil(() -> clients.stream().allMatch(OwnKeyClient::finished), 5 * SECONDS)) {
                throw cluster.fail("the clients did not finish");
            }
            if (cluster.history().unknownWrites() == 0) {
                throw cluster.fail("no write had an unknown outcome: the scenario tested nothing");
            }
            SimClerk checker = cluster.newClerk();
            int unknownAppends = 0;
            int tookEffect = 0;
            for (OwnKeyClient client : clients) {
                String value = cluster.get(checker, client.key());
                String problem = AppendTokens.check(value == null ? "" : value,
                        Map.of(client.clerkNumber(), client.appends()));
                if (problem != null) {
                    throw cluster.fail("key " + client.key() + ": " + problem);
                }
                for (int j : client.appends().unknown()) {
                    unknownAppends++;
                    if (value != null && value.contains(AppendTokens.token(client.clerkNumber(), j))) {
                        tookEffect++;
                    }
                }
            }
            cluster.checkHistory();
            SimSettings.report("clients give up during an outage (" + tookEffect + " of " + unknownAppends
                    + " appends of unknown outcome took effect)", seed, cluster, started);
        }
    }

    /**
     * Progress in majority, no progress in minority, completion after heal (3A): the leader ends up in a minority;
     * the majority serves a Put and Gets; a Put and a Get sent to the minority do not complete within a second; once
     * the partition heals and the clients may reach every server, the Put completes within three seconds (after an
     * election timeout) and its value is there.
     */
    static void onePartition(long seed) {
        try (KvSimCluster cluster = KvSimCluster.builder(5, seed).build()) {
            long started = System.nanoTime();
            SimClerk ck = cluster.newClerk();
            cluster.put(ck, "1", "13");

            List<List<String>> partition = cluster.majorityAndMinorityWithLeader();
            List<String> p1 = partition.get(0);
            List<String> p2 = partition.get(1);
            cluster.partition(partition);
            SimClerk ckp1 = cluster.newClerk(p1);
            SimClerk ckp2a = cluster.newClerk(p2);
            SimClerk ckp2b = cluster.newClerk(p2);

            // Progress in majority.
            cluster.put(ckp1, "1", "14");
            cluster.check(ckp1, "1", "14");

            // No progress in minority.
            ClerkCall put = ckp2a.put("1", "15");
            ClerkCall get = ckp2b.get("1");
            cluster.runFor(SECONDS);
            if (put.done()) {
                throw cluster.fail("Put in minority completed: " + put.outcome());
            }
            if (get.done()) {
                throw cluster.fail("Get in minority completed: " + get.outcome());
            }
            cluster.check(ckp1, "1", "14");
            cluster.put(ckp1, "1", "16");
            cluster.check(ckp1, "1", "16");

            // Completion after heal.
            cluster.heal();
            ckp2a.connect(cluster.all());
            ckp2b.connect(cluster.all());
            cluster.runFor(ELECTION_TIMEOUT);
            if (!cluster.runUntil(put::done, 30 * 100 * MILLIS) || put.outcome().status() != Outcome.Status.OK) {
                throw cluster.fail("Put did not complete within 3 s after the heal: "
                        + (put.done() ? put.outcome() : "still running"));
            }
            cluster.check(ck, "1", "15");
            cluster.await(get); // let the minority Get end before the history is judged
            cluster.checkHistory();
            SimSettings.report(KvScenario.ONE_PARTITION.name(), seed, cluster, started);
        }
    }

    /**
     * InstallSnapshot RPC (3B): a server that fell behind in a minority catches up by an installed snapshot once the
     * others need it; the majority compacts its log even though the minority does not respond.
     */
    static void snapshotRpc(long seed) {
        try (KvSimCluster cluster = KvSimCluster.builder(3, seed).maxRaftState(MAX_RAFT_STATE).build()) {
            long started = System.nanoTime();
            SimClerk ck = cluster.newClerk();
            cluster.put(ck, "a", "A");
            cluster.check(ck, "a", "A");

            // A bunch of puts into the majority partition.
            cluster.partition(List.of(cluster.ids(0, 1), cluster.ids(2)));
            SimClerk ck1 = cluster.newClerk(cluster.ids(0, 1));
            for (int i = 0; i < 50; i++) {
                cluster.put(ck1, Integer.toString(i), Integer.toString(i));
            }
            cluster.runFor(ELECTION_TIMEOUT);
            cluster.put(ck1, "b", "B");

            // The majority has thrown away most of its log.
            cluster.checkRaftStateTrimmed(MAX_RAFT_STATE, "after the puts in the majority");

            // A group that needs the lagging server, so that it has to catch up.
            long snapshotsBefore = cluster.snapshotsSent();
            cluster.partition(List.of(cluster.ids(0, 2), cluster.ids(1)));
            SimClerk ck2 = cluster.newClerk(cluster.ids(0, 2));
            cluster.put(ck2, "c", "C");
            cluster.put(ck2, "d", "D");
            cluster.check(ck2, "a", "A");
            cluster.check(ck2, "b", "B");
            cluster.check(ck2, "1", "1");
            cluster.check(ck2, "49", "49");
            if (cluster.snapshotsSent() == snapshotsBefore) {
                throw cluster.fail("the lagging server caught up without an InstallSnapshot");
            }

            // Now everybody.
            cluster.heal();
            cluster.put(ck, "e", "E");
            cluster.check(ck, "c", "C");
            cluster.check(ck, "e", "E");
            cluster.check(ck, "1", "1");
            cluster.checkHistory();
            SimSettings.report(KvScenario.SNAPSHOT_RPC.name(), seed, cluster, started);
        }
    }

    /**
     * Snapshot size is reasonable (3B): 400 Puts of one key, each read back; the Raft state stays under maxraftstate
     * and the snapshots stay small.
     */
    static void snapshotSize(long seed) {
        try (KvSimCluster cluster = KvSimCluster.builder(3, seed).maxRaftState(MAX_RAFT_STATE).build()) {
            long started = System.nanoTime();
            SimClerk ck = cluster.newClerk();
            for (int i = 0; i < 200; i++) {
                cluster.put(ck, "x", "0");
                cluster.check(ck, "x", "0");
                cluster.put(ck, "x", "1");
                cluster.check(ck, "x", "1");
            }
            // The servers have thrown away most of their log entries.
            cluster.checkRaftStateTrimmed(MAX_RAFT_STATE, "after 400 puts");
            int snapshot = cluster.snapshotSize();
            if (snapshot == 0) {
                throw cluster.fail("no server took a snapshot");
            }
            if (snapshot > MAX_SNAPSHOT_BYTES) {
                throw cluster.fail("snapshot too large (" + snapshot + " > " + MAX_SNAPSHOT_BYTES + ")");
            }
            cluster.checkHistory();
            SimSettings.report(KvScenario.SNAPSHOT_SIZE.name(), seed, cluster, started);
        }
    }
}
