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
    static ChaosRun.Script killLeader(int rounds) {
        return run -> {
            KvCluster cluster = run.cluster();
            for (int round = 0; round < rounds; round++) {
                String leader = cluster.awaitLeader(ChaosRun.LEADERLESS_BOUND);
                long since = cluster.kill(leader);
                run.measure("SIGKILL leader " + leader, Set.of(leader), since);
                Eventually.sleep(Duration.ofSeconds(2));
                cluster.restart(leader);
                cluster.awaitServing(leader, KvCluster.START_TIMEOUT);
                Eventually.sleep(Duration.ofSeconds(2));
            }
        };
    }

    /** SIGKILL a random node (leader or not) and restart it a few seconds later; {@code rounds} times. */
    static ChaosRun.Script killRandomNode(int rounds, SplittableRandom random) {
        return run -> {
            KvCluster cluster = run.cluster();
            for (int round = 0; round < rounds; round++) {
                String victim = cluster.ids().get(random.nextInt(cluster.ids().size()));
                String leader = cluster.leader(Set.of()).orElse("?");
                long since = cluster.kill(victim);
                run.measure("SIGKILL " + (victim.equals(leader) ? "leader " : "follower ") + victim, Set.of(victim),
                        since);
                Eventually.sleep(Duration.ofSeconds(2));
                cluster.restart(victim);
                cluster.awaitServing(victim, KvCluster.START_TIMEOUT);
            }
        };
    }

    /** SIGKILL every node at once, start them all a second later. */
    static ChaosRun.Script killAll() {
        return run -> {
            KvCluster cluster = run.cluster();
            cluster.ids().parallelStream().forEach(cluster::kill);
            long since = System.nanoTime();
            Eventually.sleep(Duration.ofSeconds(1));
            cluster.ids().parallelStream().forEach(cluster::restart);
            run.measure("SIGKILL all " + cluster.ids().size() + ", restart after 1 s", Set.of(), since,
                    ChaosRun.RESTART_BOUND);
        };
    }

    /** Freeze the leader (docker pause) until another node leads, a few seconds more, then thaw it. */
    static ChaosRun.Script pauseLeader() {
        return isolateLeader("docker pause leader ", KvCluster::pause, KvCluster::unpause);
    }

    /** Cut the leader off the network (it keeps running, believing it leads), then reconnect it under its alias. */
    static ChaosRun.Script disconnectLeader() {
        return isolateLeader("network disconnect leader ", KvCluster::disconnect, KvCluster::reconnect);
    }

    /** Isolates the leader with {@code fault} until another node leads, a few seconds more, then heals it. */
    private static ChaosRun.Script isolateLeader(String label, ToLongBiFunction<KvCluster, String> fault,
            BiConsumer<KvCluster, String> heal) {
        return run -> {
            KvCluster cluster = run.cluster();
            String leader = cluster.awaitLeader(ChaosRun.LEADERLESS_BOUND);
            long since = fault.applyAsLong(cluster, leader);
            run.measure(label + leader, Set.of(leader), since);
            Eventually.sleep(Duration.ofSeconds(3));
            heal.accept(cluster, leader);
            cluster.awaitServing(leader, KvCluster.START_TIMEOUT);
        };
    }

    /** SIGTERM and restart each node in turn, waiting for it to serve before the next. */
    static ChaosRun.Script rollingRestart() {
        return run -> {
            KvCluster cluster = run.cluster();
            for (String id : cluster.ids()) {
                boolean leader = cluster.leader(Set.of()).map(id::equals).orElse(false);
                long since = cluster.stop(id);
                run.measure("SIGTERM " + (leader ? "leader " : "follower ") + id, Set.of(id), since);
                cluster.restart(id);
                cluster.awaitServing(id, KvCluster.START_TIMEOUT);
                Eventually.sleep(Duration.ofSeconds(1));
            }
        };
    }

    /** SIGKILL the leader and one more node at once, restart both; then the same with two followers (5 nodes). */
    static ChaosRun.Script killTwoIncludingTheLeader() {
        return run -> {
            KvCluster cluster = run.cluster();
            String leader = cluster.awaitLeader(ChaosRun.LEADERLESS_BOUND);
            String other = cluster.ids().stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
            cluster.kill(other);
            long since = cluster.kill(leader);
            run.measure("SIGKILL leader " + leader + " + " + other, Set.of(leader, other), since);
            Eventually.sleep(Duration.ofSeconds(3));
            restartAll(cluster, List.of(leader, other));

            String current = cluster.awaitLeader(ChaosRun.LEADERLESS_BOUND);
            List<String> followers = cluster.ids().stream().filter(id -> !id.equals(current)).limit(2).toList();
            followers.forEach(cluster::kill);
            long next = System.nanoTime();
            run.measure("SIGKILL followers " + followers, Set.copyOf(followers), next);
            Eventually.sleep(Duration.ofSeconds(3));
            restartAll(cluster, followers);
        };
    }

    private static void restartAll(KvCluster cluster, List<String> ids) {
        ids.forEach(cluster::restart);
        ids.forEach(id -> cluster.awaitServing(id, KvCluster.START_TIMEOUT));
    }

    /** A script and the scenario name it runs under. */
    record Named(String name, ChaosRun.Script script) {}

    /** One of the 3-node scripts, picked at random (for the soak). */
    static Named random(SplittableRandom random) {
        return switch (random.nextInt(6)) {
            case 0 -> new Named("kill-leader", killLeader(1));
            case 1 -> new Named("kill-random", killRandomNode(2, random));
            case 2 -> new Named("kill-all", killAll());
            case 3 -> new Named("pause-leader", pauseLeader());
            case 4 -> new Named("partition-leader", disconnectLeader());
            default -> new Named("rolling-restart", rollingRestart());
        };
    }
}
