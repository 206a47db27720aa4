package io.raftkv.deploy;

import io.raftkv.testkit.Eventually;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.BiConsumer;
import java.util.function.ToLongBiFunction;

/** The fault scripts of the chaos tests; each records the leaderless time of every fault it injects. */
final class Faults {
    private Faults() {}

    /** SIGKILL the leader, then start it again once another node leads; {@code rounds} times. */
    static ChaosRun.Script<KvCluster> killLeader(int rounds) {
        return run -> {
            KvCluster cluster = run.cluster();
            for (int round = 0; round < rounds; round++) {
                String leader = cluster.awaitLeader(ChaosRun.LEADERLESS_BOUND);
                long since = cluster.nodes().kill(leader);
                measure(run, "SIGKILL leader " + leader, Set.of(leader), since);
                Eventually.sleep(Duration.ofSeconds(2));
                cluster.nodes().restart(leader);
                cluster.awaitServing(leader, KvCluster.START_TIMEOUT);
                Eventually.sleep(Duration.ofSeconds(2));
            }
        };
    }

    /** SIGKILL a random node (leader or not) and restart it a few seconds later; {@code rounds} times. */
    static ChaosRun.Script<KvCluster> killRandomNode(int rounds, SplittableRandom random) {
        return run -> {
            KvCluster cluster = run.cluster();
            for (int round = 0; round < rounds; round++) {
                String victim = cluster.ids().get(random.nextInt(cluster.ids().size()));
                String leader = cluster.leader(Set.of()).orElse("?");
                long since = cluster.nodes().kill(victim);
                measure(run, "SIGKILL " + (victim.equals(leader) ? "leader " : "follower ") + victim, Set.of(victim),
                        since);
                Eventually.sleep(Duration.ofSeconds(2));
                cluster.nodes().restart(victim);
                cluster.awaitServing(victim, KvCluster.START_TIMEOUT);
            }
        };
    }

    /** SIGKILL every node at once, start them all a second later. */
    static ChaosRun.Script<KvCluster> killAll() {
        return run -> {
            KvCluster cluster = run.cluster();
            cluster.ids().parallelStream().forEach(cluster.nodes()::kill);
            long since = System.nanoTime();
            Eventually.sleep(Duration.ofSeconds(1));
            cluster.ids().parallelStream().forEach(cluster.nodes()::restart);
            measure(run, "SIGKILL all " + cluster.ids().size() + ", restart after 1 s", Set.of(), since,
                    ChaosRun.RESTART_BOUND);
        };
    }

    /** Freeze the leader (docker pause) until another node leads, a few seconds more, then thaw it. */
    static ChaosRun.Script<KvCluster> pauseLeader() {
        return isolateLeader("docker pause leader ", ContainerNodes::pause, ContainerNodes::unpause);
    }

    /** Cut the leader off the network (it keeps running, believing it leads), then reconnect it under its alias. */
    static ChaosRun.Script<KvCluster> disconnectLeader() {
        return isolateLeader("network disconnect leader ", ContainerNodes::disconnect, ContainerNodes::reconnect);
    }

    /**
     * Cut the leader off from its peers only: clients still reach it while the others elect a new leader, so every
     * read it would serve from its own state alone is stale (the history check catches one). The script checks that
     * the deposed leader did stay reachable to clients.
     */
    static ChaosRun.Script<KvCluster> partitionLeaderFromPeers() {
        return run -> {
            KvCluster cluster = run.cluster();
            String leader = cluster.awaitLeader(ChaosRun.LEADERLESS_BOUND);
            long since = cluster.nodes().partitionFromPeers(leader);
            measure(run, "peer partition of leader " + leader, Set.of(leader), since);
            if (!cluster.answers(leader)) {
                throw new AssertionError("the partitioned leader " + leader + " did not answer a client: the"
                        + " partition cut client traffic too");
            }
            Eventually.sleep(Duration.ofSeconds(3));
            cluster.nodes().healPartition(leader);
            cluster.awaitLeader(ChaosRun.LEADERLESS_BOUND);
        };
    }

    /** What a slow, lossy network does to the messages every node sends its peers. */
    static final String LOSSY_NETWORK = "delay=75ms jitter=50ms loss=20% duplicate=5% reorder=25%";

    /**
     * Every node's peer traffic slow and lossy ({@link #LOSSY_NETWORK}) for 8 s, then clean. The time recorded is
     * from the network turning bad to a leader being seen through it (the leader is rarely lost).
     */
    static ChaosRun.Script<KvCluster> lossyNetwork() {
        return run -> {
            KvCluster cluster = run.cluster();
            cluster.awaitLeader(ChaosRun.LEADERLESS_BOUND);
            long since = System.nanoTime();
            cluster.ids().forEach(id -> cluster.nodes().setNetworkFaults(id, LOSSY_NETWORK));
            measure(run, "lossy network (" + LOSSY_NETWORK + ")", Set.of(), since);
            Eventually.sleep(Duration.ofSeconds(8));
            cluster.ids().forEach(id -> cluster.nodes().setNetworkFaults(id, ""));
            cluster.awaitLeader(ChaosRun.LEADERLESS_BOUND);
        };
    }

    /** The leader's peers stop hearing it while it still hears them (a one-way partition), until another leads. */
    static ChaosRun.Script<KvCluster> oneWayPartitionLeader() {
        return isolateLeader("one-way partition of leader ", (nodes, id) -> nodes.setNetworkFaults(id, "one-way"),
                (nodes, id) -> nodes.setNetworkFaults(id, ""));
    }

    /** Isolates the leader with {@code fault} until another node leads, a few seconds more, then heals it. */
    private static ChaosRun.Script<KvCluster> isolateLeader(String label,
            ToLongBiFunction<ContainerNodes, String> fault, BiConsumer<ContainerNodes, String> heal) {
        return run -> {
            KvCluster cluster = run.cluster();
            String leader = cluster.awaitLeader(ChaosRun.LEADERLESS_BOUND);
            long since = fault.applyAsLong(cluster.nodes(), leader);
            measure(run, label + leader, Set.of(leader), since);
            Eventually.sleep(Duration.ofSeconds(3));
            heal.accept(cluster.nodes(), leader);
            cluster.awaitServing(leader, KvCluster.START_TIMEOUT);
        };
    }

    /** SIGTERM and restart each node in turn, waiting for it to serve before the next. */
    static ChaosRun.Script<KvCluster> rollingRestart() {
        return run -> {
            KvCluster cluster = run.cluster();
            for (String id : cluster.ids()) {
                boolean leader = cluster.leader(Set.of()).map(id::equals).orElse(false);
                long since = cluster.nodes().stop(id);
                measure(run, "SIGTERM " + (leader ? "leader " : "follower ") + id, Set.of(id), since);
                cluster.nodes().restart(id);
                cluster.awaitServing(id, KvCluster.START_TIMEOUT);
                Eventually.sleep(Duration.ofSeconds(1));
            }
        };
    }

    /** SIGKILL the leader and one more node at once, restart both; then the same with two followers (5 nodes). */
    static ChaosRun.Script<KvCluster> killTwoIncludingTheLeader() {
        return run -> {
            KvCluster cluster = run.cluster();
            String leader = cluster.awaitLeader(ChaosRun.LEADERLESS_BOUND);
            String other = cluster.ids().stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
            cluster.nodes().kill(other);
            long since = cluster.nodes().kill(leader);
            measure(run, "SIGKILL leader " + leader + " + " + other, Set.of(leader, other), since);
            Eventually.sleep(Duration.ofSeconds(3));
            restartAll(cluster, List.of(leader, other));

            String current = cluster.awaitLeader(ChaosRun.LEADERLESS_BOUND);
            List<String> followers = cluster.ids().stream().filter(id -> !id.equals(current)).limit(2).toList();
            followers.forEach(cluster.nodes()::kill);
            long next = System.nanoTime();
            measure(run, "SIGKILL followers " + followers, Set.copyOf(followers), next);
            Eventually.sleep(Duration.ofSeconds(3));
            restartAll(cluster, followers);
        };
    }

    /** Waits for a leader outside {@code faulted} and records the time since {@code since} as this fault's. */
    static Duration measure(ChaosRun<KvCluster> run, String fault, Set<String> faulted, long since, Duration bound) {
        Duration time = run.cluster().awaitLeaderOutside(faulted, since, bound);
        run.record(fault, time);
        return time;
    }

    static Duration measure(ChaosRun<KvCluster> run, String fault, Set<String> faulted, long since) {
        return measure(run, fault, faulted, since, ChaosRun.LEADERLESS_BOUND);
    }

    private static void restartAll(KvCluster cluster, List<String> ids) {
        ids.forEach(cluster.nodes()::restart);
        ids.forEach(id -> cluster.awaitServing(id, KvCluster.START_TIMEOUT));
    }

    /** A script and the scenario name it runs under. */
    record Named(String name, ChaosRun.Script<KvCluster> script) {}

    /** The soak's 3-node scripts by name (as {@code -Draftkv.chaos.faults} names them). */
    static final List<String> NAMES = List.of("kill-leader", "kill-random", "kill-all", "pause-leader",
            "disconnect-leader", "peer-partition-leader", "rolling-restart", "lossy-network",
            "one-way-partition-leader");

    /** The script called {@code name} (one of {@link #NAMES}). */
    static Named named(String name, SplittableRandom random) {
        return new Named(name, switch (name) {
            case "kill-leader" -> killLeader(1);
            case "kill-random" -> killRandomNode(2, random);
            case "kill-all" -> killAll();
            case "pause-leader" -> pauseLeader();
            case "disconnect-leader" -> disconnectLeader();
            case "peer-partition-leader" -> partitionLeaderFromPeers();
            case "rolling-restart" -> rollingRestart();
            case "lossy-network" -> lossyNetwork();
            case "one-way-partition-leader" -> oneWayPartitionLeader();
            default -> throw new IllegalArgumentException("no fault script " + name + "; there are " + NAMES);
        });
    }
}
