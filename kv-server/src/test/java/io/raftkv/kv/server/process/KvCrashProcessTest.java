package io.raftkv.kv.server.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.common.cli.HostPort;
import io.raftkv.common.client.ClientOptions;
import io.raftkv.common.faults.Failpoints;
import io.raftkv.kv.client.Clerk;
import io.raftkv.kv.client.KvUnavailableException;
import io.raftkv.kv.client.cli.KvCli;
import io.raftkv.kv.main.KvServerMain;
import io.raftkv.testkit.AppendLedger;
import io.raftkv.testkit.Eventually;
import io.raftkv.testkit.linearizability.CheckResult;
import io.raftkv.testkit.linearizability.HistoryRecorder;
import io.raftkv.testkit.linearizability.KvModel;
import io.raftkv.testkit.linearizability.LinearizabilityChecker;
import io.raftkv.testkit.linearizability.Operation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three kv-server processes on loopback while four Clerk clients put, append and get, and nodes die: the leader
 * killed with SIGKILL and restarted three times (the log compacted at 64 KiB, and enough written while it is down
 * that it must catch up by InstallSnapshot), every failpoint fired, a dead node replaced. Two clients give up on an
 * operation within an election, so some writes time out. The recorded history must be linearizable (timed-out writes
 * count as unknown outcomes), every acknowledged append must be in the final value exactly once, and nothing never
 * appended may be.
 */
class KvCrashProcessTest {
    private static final int CLIENTS = 4;
    private static final int ROUNDS = 3;
    private static final String LOSSY_NETWORK = "delay=75ms jitter=50ms loss=20% duplicate=5% reorder=25%";
    private static final ClientOptions PATIENT_CLIENT = ClientOptions.DEFAULT.withTimeout(Duration.ofSeconds(5))
            .withAttemptTimeout(Duration.ofSeconds(1));
    /** Gives up within an election, so some writes end with an unknown outcome that the checks must allow for. */
    private static final ClientOptions IMPATIENT_CLIENT = ClientOptions.DEFAULT
            .withTimeout(Duration.ofMillis(1_200)).withAttemptTimeout(Duration.ofMillis(400));

    @TempDir
    Path dir;

    /** What happens to the cluster while the clients run. */
    private interface Faults {
        void run(KvProcessCluster cluster, AtomicLong completed, MetricsTally installs, MetricsTally compactions)
                throws Exception;
    }

    @Test
    void leaderKillsWithLogCompactionAndInstallSnapshot() throws Exception {
        run(List.of("--max-raft-state", "65536"), true, 0, (cluster, completed, installs, compactions) ->
                killLeaders(cluster, completed, installs, compactions));
    }

    /**
     * A follower's disk dies (SIGKILL, data deleted); a new node n4 replaces it through the kv CLI's member commands
     * (add as a learner, promote once caught up, remove the dead one), then takes leadership by move-leader.
     */
    @Test
    void aDeadNodeIsReplacedThroughTheMemberCommands() throws Exception {
        run(List.of(), false, 1, (cluster, completed, installs, compactions) -> {
            CliProcess kv = new CliProcess(KvCli.class, "kv", "KV_CLUSTER", dir);
            HistoryClient.awaitProgress(completed, 40, "before the replacement");
            String leader = cluster.awaitLeader(Duration.ofSeconds(60));
            String dead = cluster.runningIds().stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
            log("kill -9 " + dead + " and delete its data (leader " + leader + ")");
            cluster.kill(dead);
            cluster.wipe(dead);
            HostPort n4 = cluster.startJoiner("n4");
            CliProcess.Run added = kv.run(cluster.clusterSpec(), "member", "add", "n4=" + n4, "--learner");
            assertEquals(0, added.exitCode(), added::output);
            assertTrue(added.output().lines().anyMatch(l -> l.matches("n4 +\\S+ +learner .*")), added::output);
            CliProcess.Run promoted = Eventually.awaitValue("n4 promoted", Duration.ofSeconds(60), () -> {
                CliProcess.Run run = kv.run(cluster.clusterSpec(), "member", "promote", "n4");
                log("member promote n4: exit " + run.exitCode() + " " + run.output().strip());
                return run.exitCode() == 0 ? run : null;
            });
            assertTrue(promoted.output().lines().anyMatch(l -> l.matches("n4 +\\S+ +voter .*")), promoted::output);
            CliProcess.Run removed = kv.run(cluster.clusterSpec(), "member", "remove", dead);
            assertEquals(0, removed.exitCode(), removed::output);
            HistoryClient.awaitProgress(completed, 40, "after the replacement");

            CliProcess.Run moved = kv.run(cluster.clusterSpec(), "move-leader", "n4");
            assertEquals(new CliProcess.Run(0, "OK\n"), moved);
            assertEquals("n4", cluster.awaitLeader(Duration.ofSeconds(30)));
            CliProcess.Run list = kv.run(cluster.clusterSpec(), "member", "list", "--json");
            assertEquals(0, list.exitCode(), list::output);
            assertTrue(list.output().contains("{\"id\":\"n4\",\"address\":\"" + n4 + "\",\"role\":\"voter\","
                    + "\"leader\":true,\"lag\":0}"), list::output);
            assertTrue(!list.output().contains("\"" + dead + "\""), list::output);
            assertEquals(3, list.output().split("\"role\":\"voter\"", -1).length - 1, list::output);
            CliProcess.Run refused = kv.run(cluster.clusterSpec(), "member", "promote", "n9");
            assertEquals(new CliProcess.Run(4, "error: refused: n9 is not a member\n"), refused);
            HistoryClient.awaitProgress(completed, 40, "with n4 leading");
        });
    }

    /**
     * Every failpoint of the Raft log, the runtime and the state machine, fired on the leader and on a follower while
     * the clients run (log compaction on, so snapshots are sent and installed): the node halts there as at a power
     * cut, restarts without it, and the history must stay linearizable with every acknowledged append once.
     */
    @Test
    void everyFailpointOnTheLeaderAndOnAFollower() throws Exception {
        run(List.of("--max-raft-state", "65536"), true, 0, (cluster, completed, installs, compactions) -> {
            CliProcess kv = new CliProcess(KvCli.class, "kv", "KV_CLUSTER", dir);
            List<String> walked = new ArrayList<>();
            for (String point : List.of(Failpoints.RAFT_LOG_BEFORE_WRITE, Failpoints.RAFT_LOG_AFTER_WRITE,
                    Failpoints.RAFT_BEFORE_SEND_AFTER_PERSIST, Failpoints.KV_APPLY_BEFORE_WRITE)) {
                for (boolean onLeader : new boolean[] {true, false}) {
                    String leader = cluster.awaitLeader(Duration.ofSeconds(60));
                    String target = onLeader ? leader : cluster.runningIds().stream()
                            .filter(id -> !id.equals(leader)).findFirst().orElseThrow();
                    Path trigger = dir.resolve(point + (onLeader ? "-leader" : "-follower"));
                    cluster.kill(target);
                    cluster.startArmed(target, point, trigger);
                    cluster.awaitUp(target);
                    if (onLeader) {
                        Eventually.await(target + " leads", Duration.ofSeconds(60), () -> kv.run(
                                cluster.clusterSpec(), "move-leader", target).exitCode() == 0);
                    }
                    Files.createFile(trigger);
                    halted(cluster, target, point);
                    walked.add(point + (onLeader ? " on the leader " : " on a follower ") + target);
                    HistoryClient.awaitProgress(completed, 20, "after " + point + " on " + target);
                }
            }
            // Snapshots: a follower that is down while the log is compacted past it gets one when it comes back.
            // The leader halts writing that snapshot's file, then the follower halts installing one, twice.
            for (String point : List.of(Failpoints.SNAPSHOT_BEFORE_RENAME, Failpoints.RAFT_SNAPSHOT_BEFORE_RESTORE)) {
                String leader = cluster.awaitLeader(Duration.ofSeconds(60));
                String follower = cluster.runningIds().stream().filter(id -> !id.equals(leader)).findFirst()
                        .orElseThrow();
                Path trigger = dir.resolve(point + "-snapshot");
                boolean onLeader = point.equals(Failpoints.SNAPSHOT_BEFORE_RENAME);
                if (onLeader) {
                    cluster.kill(leader);
                    cluster.startArmed(leader, point, trigger);
                    cluster.awaitUp(leader);
                    Eventually.await(leader + " leads", Duration.ofSeconds(60), () -> kv.run(
                            cluster.clusterSpec(), "move-leader", leader).exitCode() == 0);
                }
                // Fired only from here: the restarted leader may itself have caught up by receiving a snapshot,
                // whose file is written through the same point.
                Files.createFile(trigger);
                cluster.kill(follower);
                compactions.sample(cluster);
                double before = compactions.total();
                // 160 KiB of log while the follower is down: the leader compacts past everything it has. An armed
                // leader may halt already here: once compacted, it captures a snapshot for the follower it still
                // probes, dead or not. That is the point under test too; the filler stops there (no quorum left).
                fill(cluster, point, onLeader ? leader : null);
                Eventually.await("the log compacted while " + follower + " is down", Duration.ofSeconds(60), () -> {
                    compactions.sample(cluster);
                    return compactions.total() > before || (onLeader && !cluster.isRunning(leader));
                });
                String halting = onLeader ? leader : follower;
                if (onLeader) {
                    cluster.start(follower);
                } else {
                    cluster.startArmed(follower, point, trigger);
                }
                halted(cluster, halting, point);
                walked.add(point + (onLeader ? " on the leader " : " on a follower ") + halting);
                if (onLeader) {
                    cluster.awaitUp(follower);
                }
                awaitCaughtUp(cluster, follower);
                installs.sample(cluster); // before a later step kills the process that counted the install
                HistoryClient.awaitProgress(completed, 20, "after " + point);
            }
            installs.sample(cluster);
            log("failpoints walked: " + walked);
        });
    }

    /** Writes 160 KiB to one key; stops early, without failing, if {@code mayHalt} (when not null) halts meanwhile. */
    private static void fill(KvProcessCluster cluster, String point, String mayHalt) {
        try (Clerk filler = cluster.clerk(ClientOptions.DEFAULT.withTimeout(Duration.ofSeconds(15)))) {
            for (int i = 0; i < 160 && (mayHalt == null || cluster.isRunning(mayHalt)); i++) {
                try {
                    filler.put("filler", point + "-" + i + "-" + "y".repeat(1_024));
                } catch (KvUnavailableException e) {
                    if (mayHalt == null || cluster.isRunning(mayHalt)) {
                        throw e;
                    }
                    log(mayHalt + " halted while the log was filled, after " + i + " puts");
                }
            }
        }
    }

    /**
     * The network between the nodes turns slow and lossy (what every node sends its peers: 75 ± 50 ms late, 20%
     * lost, 5% duplicated, 25% reordered), heals, then the leader is cut off one way: it hears its peers, they do
     * not hear it, so they elect another leader, which it must follow. Clients keep completing operations in every
     * phase, and the history stays linearizable.
     */
    @Test
    void aSlowLossyNetworkThenAOneWayPartitionOfTheLeader() throws Exception {
        run(List.of(), false, 0, (cluster, completed, installs, compactions) -> {
            List<ProgressWatch.Phase> phases = new ArrayList<>();
            try (ProgressWatch watch = new ProgressWatch(completed)) {
                HistoryClient.awaitProgress(completed, 40, "on a clean network");
                watch.endPhase("start");
                Thread.sleep(4_000);
                phases.add(watch.endPhase("clean network"));
                cluster.runningIds().forEach(id -> cluster.setNetworkFaults(id, LOSSY_NETWORK));
                Thread.sleep(6_000);
                HistoryClient.awaitProgress(completed, 20, "on the slow, lossy network");
                phases.add(watch.endPhase(LOSSY_NETWORK));
                assertInjected(cluster);
                cluster.runningIds().forEach(id -> cluster.setNetworkFaults(id, ""));
                String leader = cluster.awaitLeader(Duration.ofSeconds(60));
                HistoryClient.awaitProgress(completed, 20, "after the network healed");
                phases.add(watch.endPhase("healing"));

                cluster.setNetworkFaults(leader, "one-way");
                String next = Eventually.awaitValue("a leader other than " + leader + ", which it follows",
                        Duration.ofSeconds(60), () -> {
                            String now = cluster.awaitLeader(Duration.ofSeconds(60));
                            return now.equals(leader) ? null : now;
                        });
                HistoryClient.awaitProgress(completed, 40, "while " + next + " leads and " + leader
                        + " is not heard");
                phases.add(watch.endPhase(leader + " not heard (one-way), " + next + " leads"));
                cluster.setNetworkFaults(leader, "");
                awaitCaughtUp(cluster, leader);
            }
            log("network phases: " + phases);
            log(String.format("lossy/clean throughput %.2f", phases.get(1).rate() / phases.get(0).rate()));
        });
    }

    /** Every node lost, duplicated and delayed some of what it sent: the faults were really in the way. */
    private static void assertInjected(KvProcessCluster cluster) {
        for (String id : cluster.runningIds()) {
            String text = cluster.metrics(id);
            for (String fault : List.of("lost", "duplicated", "delayed")) {
                assertTrue(text != null && PrometheusText.sum(text, "raft_transport_injected_faults_total",
                        "fault=\"" + fault + "\"") > 0, id + " has no " + fault + " message");
            }
        }
    }

    /** Waits for {@code id} to halt at {@code point}, then starts it again, unarmed, and waits for it to serve. */
    private static void halted(KvProcessCluster cluster, String id, String point) {
        int status = cluster.awaitExit(id, Duration.ofSeconds(60));
        assertEquals(Failpoints.HALT_STATUS, status, () -> id + " exited " + status + ":\n" + cluster.tail(id, 20));
        assertTrue(cluster.tail(id, 40).contains("failpoint " + point + ": halting"), () -> cluster.tail(id, 40));
        log(id + " halted at " + point);
        cluster.start(id);
        cluster.awaitUp(id);
    }

    private void run(List<String> nodeArgs, boolean snapshots, int spares, Faults faults) throws Exception {
        long started = System.nanoTime();
        HistoryRecorder<KvModel.Input, KvModel.Output> history = new HistoryRecorder<>();
        AppendLedger ledger = new AppendLedger();
        MetricsTally installs = new MetricsTally("raft_snapshot_installs_total");
        MetricsTally compactions = new MetricsTally("raft_log_compactions_total");
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong completed = new AtomicLong();
        List<Clerk> clerks = new ArrayList<>();
        List<HistoryClient> clients = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        try (KvProcessCluster cluster = new KvProcessCluster(dir, KvServerMain.class, nodeArgs, spares)) {
            cluster.enableNetworkFaults(); // each node's file stays empty (a clean network) unless a test writes it
            cluster.startAll();
            cluster.awaitLeader(Duration.ofSeconds(60));
            for (int i = 0; i < CLIENTS; i++) {
                Clerk clerk = cluster.clerk(i % 2 == 0 ? PATIENT_CLIENT : IMPATIENT_CLIENT);
                clerks.add(clerk);
                HistoryClient client = new HistoryClient(i, clerk, history, ledger, stop, completed, 2_500,
                        Duration.ofMillis(20), snapshots ? 1_000 : 16);
                clients.add(client);
                Thread thread = new Thread(client, "history-client-" + i);
                thread.start();
                threads.add(thread);
            }
            faults.run(cluster, completed, installs, compactions);
            HistoryClient.awaitProgress(completed, 40, "after the last restart");
            HistoryClient.stopAll(stop, threads, clients);
            installs.sample(cluster);
            compactions.sample(cluster);
            Map<String, String> finalValues = new HashMap<>();
            List<String> problems = readFinalValues(cluster, history, ledger, finalValues);

            List<Operation<KvModel.Input, KvModel.Output>> ops = HistoryClient.withoutUnappliedAppends(history.history(), finalValues,
                    List.of(HistoryClient.APPEND_KEYS));
            CheckResult verdict = LinearizabilityChecker.check(KvModel.INSTANCE, ops, Duration.ofSeconds(90));
            long unknownOutcomes = ops.stream().filter(op -> !op.outcomeKnown()).count();
            log(String.format("%s: %d operations (%d completed, %d unknown outcome), %d acknowledged appends to "
                            + "a0/a1 (%d timed out), %.0f snapshot installs, %.0f log compactions, %s; %.1f s",
                    snapshots ? "with compaction" : "default", ops.size(), completed.get(), unknownOutcomes,
                    ledger.acknowledgedCount(), ledger.unknownCount(), installs.total(), compactions.total(),
                    verdict, (System.nanoTime() - started) / 1e9));
            assertEquals(List.of(), problems);
            assertTrue(verdict.isLinearizable(), verdict::toString);
            assertTrue(ledger.acknowledgedCount() > 100, "too little traffic to judge: " + ledger.acknowledgedCount());
            if (snapshots) {
                assertTrue(compactions.total() >= 1, "the log was never compacted");
                assertTrue(installs.total() >= 1, "no node ever installed a snapshot from its leader");
            }
        } finally {
            stop.set(true);
            for (Thread thread : threads) {
                thread.join(Duration.ofSeconds(30));
            }
            clerks.forEach(Clerk::close);
        }
    }

    /** Kills the leader with SIGKILL and restarts it, three times, writing it past a compaction each time. */
    private static void killLeaders(KvProcessCluster cluster, AtomicLong completed, MetricsTally installs,
            MetricsTally compactions) {
        try (Clerk filler = cluster.clerk(ClientOptions.DEFAULT.withTimeout(Duration.ofSeconds(15)))) {
            for (int round = 1; round <= ROUNDS; round++) {
                HistoryClient.awaitProgress(completed, 40, "before round " + round);
                String leader = cluster.awaitLeader(Duration.ofSeconds(60));
                installs.sample(cluster);
                compactions.sample(cluster);
                log("round " + round + ": kill -9 the leader " + leader + " (pid " + cluster.pid(leader) + ")");
                cluster.kill(leader);
                String next = cluster.awaitLeader(Duration.ofSeconds(60));
                log("round " + round + ": " + next + " leads");
                // 160 KiB of log while the old leader is down: the new leader compacts past everything the
                // old one has, so catching up takes a snapshot.
                for (int i = 0; i < 160; i++) {
                    filler.put("filler", "f" + round + "-" + i + "-" + "y".repeat(1_024));
                }
                HistoryClient.awaitProgress(completed, 40, "with " + leader + " down");
                cluster.start(leader);
                cluster.awaitUp(leader);
                awaitCaughtUp(cluster, leader);
            }
        }
    }

    /** Reads every key once more (recorded, so the final state is checked too) and checks the appends. */
    private static List<String> readFinalValues(KvProcessCluster cluster,
            HistoryRecorder<KvModel.Input, KvModel.Output> history, AppendLedger ledger,
            Map<String, String> finalValues) {
        try (Clerk reader = cluster.clerk(ClientOptions.DEFAULT.withTimeout(Duration.ofSeconds(30)))) {
            return HistoryClient.readFinalValues(reader, List.of(HistoryClient.APPEND_KEYS[0],
                    HistoryClient.APPEND_KEYS[1], HistoryClient.MIXED_KEY), HistoryClient.MIXED_KEY, CLIENTS, history,
                    ledger, finalValues);
        }
    }

    /** Waits until a restarted node has applied what the leader had committed when it came back. */
    private static void awaitCaughtUp(KvProcessCluster cluster, String id) {
        String leader = cluster.awaitLeader(Duration.ofSeconds(60));
        double commit = PrometheusText.sum(Eventually.awaitValue("metrics of " + leader, Duration.ofSeconds(30),
                () -> cluster.metrics(leader)), "raft_commit_index");
        Eventually.await(id + " applies up to " + (long) commit, Duration.ofSeconds(60), () -> {
            String text = cluster.metrics(id);
            return text != null && PrometheusText.sum(text, "raft_applied_index") >= commit;
        });
    }

    private static void log(String message) {
        System.out.println("[KvCrashProcessTest] " + message);
        System.out.flush();
    }
}
