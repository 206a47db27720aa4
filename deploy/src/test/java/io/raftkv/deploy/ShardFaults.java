package io.raftkv.deploy;

import io.raftkv.common.shardctrler.ShardConfig;
import io.raftkv.testkit.Eventually;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The fault scripts of the sharded chaos tests. Each one changes the configuration (a join or a leave, so shards
 * move) and faults containers while the shards move; each records how long the faulted Raft group went without a
 * leader. The changes only toggle groups in and out, so any script can follow any other.
 */
final class ShardFaults {
    private ShardFaults() {}

    /** How long a change may take to show a group pulling (the controller and the group leaders poll at 100 ms). */
    private static final Duration PULL_START_BOUND = Duration.ofSeconds(30);

    /** SIGKILL the leader of a group while it pulls a shard, then restart it. */
    static ChaosRun.Script<ShardedCluster> killPullerLeader() {
        return run -> {
            ShardedCluster cluster = run.cluster();
            Change change = toggleGroup(cluster);
            long puller = awaitPulling(cluster, change.gainers());
            killGroupLeaderAndRestart(run, puller, "pulling");
        };
    }

    /** SIGKILL the leader of a group that shards are pulled from, while they are pulled, then restart it. */
    static ChaosRun.Script<ShardedCluster> killSourceLeader() {
        return run -> {
            ShardedCluster cluster = run.cluster();
            Change change = toggleGroup(cluster);
            awaitPulling(cluster, change.gainers());
            killGroupLeaderAndRestart(run, change.losers().getFirst(), "being pulled from");
        };
    }

    /**
     * SIGKILL every replica of one group that stays, then make another group leave, so some of its shards move to
     * the dead group and some to a live one: the shards of the live groups must keep being served while the dead
     * group is down (challenge 2). Then restart the dead group.
     */
    static ChaosRun.Script<ShardedCluster> killWholeGroupDuringLeave() {
        return run -> {
            ShardedCluster cluster = run.cluster();
            joinEveryGroup(cluster);
            List<Long> gids = cluster.gids();
            long dead = gids.get(1);
            long leaving = gids.get(2);
            ShardConfig before = cluster.latest();
            try (ShardProbe probe = ShardProbe.start(cluster)) {
                Eventually.sleep(Duration.ofSeconds(2));
                long killed = System.nanoTime();
                cluster.groupIds(dead).parallelStream().forEach(cluster.nodes()::kill);
                cluster.admin().leave(List.of(leaving));
                ShardConfig after = cluster.latest();
                Eventually.sleep(Duration.ofSeconds(8));
                long restarted = System.nanoTime();
                Duration down = Duration.ofNanos(restarted - killed);
                List<Duration> gaps = probe.longestGaps(killed, restarted);
                List<String> unserved = new ArrayList<>();
                Duration longest = Duration.ZERO;
                for (int shard = 0; shard < gaps.size(); shard++) {
                    long owner = after.groupOf(shard);
                    // A shard that stays with a live group is served while the other group is down: it may stall
                    // for a moment on a busy machine, never for most of the outage.
                    if (owner != dead && owner == before.groupOf(shard)) {
                        longest = gaps.get(shard).compareTo(longest) > 0 ? gaps.get(shard) : longest;
                        if (gaps.get(shard).compareTo(down.dividedBy(2)) >= 0) {
                            unserved.add("shard " + shard + " of group " + owner + ": " + gaps.get(shard).toMillis()
                                    + " ms without a read");
                        }
                    }
                }
                if (!unserved.isEmpty()) {
                    throw new AssertionError("while group " + dead + " was down for " + down.toMillis()
                            + " ms, shards of live groups went unserved: " + unserved);
                }
                run.record("group " + dead + " down (SIGKILL all 3) during leave of " + leaving, down);
                run.record("longest gap of a shard staying with a live group meanwhile", longest);
            }
            cluster.groupIds(dead).forEach(cluster.nodes()::restart);
            cluster.awaitGroupLeader(dead, Set.of(), ContainerNodes.START_TIMEOUT);
        };
    }

    /**
     * SIGKILL the controller's leader right after asking it for a join (or leave), then, with the dead one back,
     * freeze the next leader (docker pause) during the next change; every change must still happen exactly once.
     */
    static ChaosRun.Script<ShardedCluster> killAndPauseControllerLeader() {
        return run -> {
            ShardedCluster cluster = run.cluster();
            controllerFaultDuringChange(run, "SIGKILL", ContainerNodes::kill, ContainerNodes::restart);
            controllerFaultDuringChange(run, "docker pause", ContainerNodes::pause, ContainerNodes::unpause);
            cluster.awaitControllerLeader(ContainerNodes.START_TIMEOUT);
        };
    }

    /**
     * Start a change and restart every container during it, in three waves (the first replica of every group and
     * of the controller, then the second ones, then the third), each wave serving again before the next: every
     * Raft group keeps a majority throughout.
     */
    static ChaosRun.Script<ShardedCluster> rollingRestartDuringRebalance() {
        return run -> {
            ShardedCluster cluster = run.cluster();
            toggleGroup(cluster);
            for (int replica = 0; replica < 3; replica++) {
                List<String> wave = new ArrayList<>();
                wave.add(cluster.controllerIds().get(replica));
                for (long gid : cluster.gids()) {
                    wave.add(cluster.groupIds(gid).get(replica));
                }
                long since = System.nanoTime();
                wave.parallelStream().forEach(cluster.nodes()::stop);
                wave.forEach(cluster.nodes()::restart);
                for (String id : wave) {
                    Eventually.await(id + " serving", ContainerNodes.START_TIMEOUT, () -> cluster.answers(id));
                }
                run.record("SIGTERM + restart " + wave, Duration.ofNanos(System.nanoTime() - since));
            }
        };
    }

    /**
     * A follower of a group that serves shards loses its machine (its container and data gone) and is replaced by a
     * new replica through the member commands and set-servers, while the clients run; then shards move, so the other
     * groups pull from the group at its new servers.
     */
    static ChaosRun.Script<ShardedCluster> replaceAReplica() {
        return run -> {
            ShardedCluster cluster = run.cluster();
            ShardConfig before = cluster.latest();
            long gid = before.groups().keySet().iterator().next();
            String leader = cluster.awaitGroupLeader(gid, Set.of(), ChaosRun.LEADERLESS_BOUND);
            String dead = cluster.groupIds(gid).stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
            long since = System.nanoTime();
            String replacement = cluster.replaceReplica(gid, dead);
            run.record("replace " + dead + " of group " + gid + " by " + replacement,
                    Duration.ofNanos(System.nanoTime() - since));
            toggleGroup(cluster);
        };
    }

    /**
     * Cut the leader of every group and of the controller off from its peers (clients still reach them) during a
     * change; the others elect new leaders and the change completes without them. Then heal.
     */
    static ChaosRun.Script<ShardedCluster> partitionLeadersFromPeers() {
        return run -> {
            ShardedCluster cluster = run.cluster();
            List<String> cut = new ArrayList<>();
            String controller = cluster.awaitControllerLeader(ChaosRun.LEADERLESS_BOUND);
            cut.add(controller);
            for (long gid : cluster.gids()) {
                cut.add(cluster.awaitGroupLeader(gid, Set.of(), ChaosRun.LEADERLESS_BOUND));
            }
            long since = System.nanoTime();
            cut.forEach(cluster.nodes()::partitionFromPeers);
            cluster.awaitControllerLeader(Set.of(controller), ChaosRun.LEADERLESS_BOUND);
            run.record("peer partition: controller leader " + controller, Duration.ofNanos(System.nanoTime() - since));
            toggleGroup(cluster);
            for (long gid : cluster.gids()) {
                Set<String> faulted = Set.copyOf(cut);
                cluster.awaitGroupLeader(gid, faulted, ChaosRun.LEADERLESS_BOUND);
                run.record("peer partition: leader of group " + gid, Duration.ofNanos(System.nanoTime() - since));
            }
            for (String id : cut) {
                if (!cluster.answers(id)) {
                    throw new AssertionError("the partitioned replica " + id + " did not answer a client: the"
                            + " partition cut client traffic too");
                }
            }
            Eventually.sleep(Duration.ofSeconds(3));
            cut.forEach(cluster.nodes()::healPartition);
        };
    }

    /**
     * Every replica's and controller node's peer traffic slow and lossy ({@link Faults#LOSSY_NETWORK}) while shards
     * move, then clean once the move has settled.
     */
    static ChaosRun.Script<ShardedCluster> lossyNetworkDuringRebalance() {
        return run -> {
            ShardedCluster cluster = run.cluster();
            List<String> all = cluster.nodes().ids();
            long since = System.nanoTime();
            all.forEach(id -> cluster.nodes().setNetworkFaults(id, Faults.LOSSY_NETWORK));
            for (long gid : cluster.gids()) {
                cluster.awaitGroupLeader(gid, Set.of(), ChaosRun.LEADERLESS_BOUND);
            }
            run.record("lossy network: every group's leader seen", Duration.ofNanos(System.nanoTime() - since));
            toggleGroup(cluster);
            Eventually.sleep(Duration.ofSeconds(5));
            all.forEach(id -> cluster.nodes().setNetworkFaults(id, ""));
        };
    }

    /** A script and the scenario name it runs under. */
    record Named(String name, ChaosRun.Script<ShardedCluster> script) {}

    /** The soak's sharded scripts by name (as {@code -Draftkv.chaos.faults} names them). */
    static final List<String> NAMES = List.of("kill-puller-leader", "kill-source-leader", "kill-group-during-leave",
            "controller-kill-pause", "rolling-restart", "peer-partition-leaders", "lossy-network-rebalance");

    /** The script called {@code name} (one of {@link #NAMES}). */
    static Named named(String name) {
        return new Named(name, switch (name) {
            case "kill-puller-leader" -> killPullerLeader();
            case "kill-source-leader" -> killSourceLeader();
            case "kill-group-during-leave" -> killWholeGroupDuringLeave();
            case "controller-kill-pause" -> killAndPauseControllerLeader();
            case "rolling-restart" -> rollingRestartDuringRebalance();
            case "peer-partition-leaders" -> partitionLeadersFromPeers();
            case "lossy-network-rebalance" -> lossyNetworkDuringRebalance();
            default -> throw new IllegalArgumentException("no sharded fault script " + name + "; there are " + NAMES);
        });
    }

    // ---- changes ----

    /** A configuration change: the groups that gain shards and those that lose some. */
    record Change(ShardConfig before, ShardConfig after, List<Long> gainers, List<Long> losers) {}

    /**
     * Makes shards move: the last group joins if it is out, else it leaves. (A lone group never leaves: then the
     * next group joins.)
     */
    static Change toggleGroup(ShardedCluster cluster) {
        ShardConfig before = cluster.latest();
        List<Long> absent = cluster.gids().stream().filter(gid -> !before.groups().containsKey(gid)).toList();
        if (before.groups().size() > 1 && absent.isEmpty()) {
            cluster.admin().leave(List.of(cluster.gids().getLast()));
        } else {
            cluster.join(List.of(absent.getLast()));
        }
        return change(before, cluster.latest());
    }

    static Change change(ShardConfig before, ShardConfig after) {
        Set<Long> gainers = new TreeSet<>();
        Set<Long> losers = new TreeSet<>();
        for (int shard = 0; shard < after.shards().size(); shard++) {
            long from = before.groupOf(shard);
            long to = after.groupOf(shard);
            if (from != to) {
                gainers.add(to);
                losers.add(from);
            }
        }
        gainers.remove(0L);
        losers.remove(0L);
        return new Change(before, after, List.copyOf(gainers), List.copyOf(losers));
    }

    /** Joins every group the configuration lacks (and waits until they serve what they got). */
    private static void joinEveryGroup(ShardedCluster cluster) {
        List<Long> absent = cluster.gids().stream().filter(gid -> !cluster.latest().groups().containsKey(gid))
                .toList();
        if (!absent.isEmpty()) {
            cluster.join(absent);
            cluster.awaitSettled(cluster.latest(), Duration.ofSeconds(90));
        }
    }

    /** Waits until one of {@code gids} reports a shard being pulled; returns that group. */
    private static long awaitPulling(ShardedCluster cluster, List<Long> gids) {
        return Eventually.awaitValue("one of groups " + gids + " pulling a shard", PULL_START_BOUND,
                () -> gids.stream().filter(cluster::pulling).findFirst().orElse(null));
    }

    private static void killGroupLeaderAndRestart(ChaosRun<ShardedCluster> run, long gid, String doing) {
        ShardedCluster cluster = run.cluster();
        String leader = cluster.awaitGroupLeader(gid, Set.of(), ChaosRun.LEADERLESS_BOUND);
        long since = cluster.nodes().kill(leader);
        cluster.awaitGroupLeader(gid, Set.of(leader), ChaosRun.LEADERLESS_BOUND);
        run.record("SIGKILL leader " + leader + " of group " + gid + " " + doing,
                Duration.ofNanos(System.nanoTime() - since));
        Eventually.sleep(Duration.ofSeconds(2));
        cluster.nodes().restart(leader);
        Eventually.await(leader + " serving", ContainerNodes.START_TIMEOUT, () -> cluster.answers(leader));
    }

    private interface NodeFault {
        long apply(ContainerNodes nodes, String id);
    }

    private interface NodeHeal {
        void apply(ContainerNodes nodes, String id);
    }

    /** Starts a change, faults the controller's leader while the change is asked, heals it once another leads. */
    private static void controllerFaultDuringChange(ChaosRun<ShardedCluster> run, String label, NodeFault fault,
            NodeHeal heal) {
        ShardedCluster cluster = run.cluster();
        String leader = cluster.awaitControllerLeader(ChaosRun.LEADERLESS_BOUND);
        CompletableFuture<Change> change = CompletableFuture.supplyAsync(() -> toggleGroup(cluster));
        long since = fault.apply(cluster.nodes(), leader);
        cluster.awaitControllerLeader(Set.of(leader), ChaosRun.LEADERLESS_BOUND);
        run.record(label + " controller leader " + leader + " during a change",
                Duration.ofNanos(System.nanoTime() - since));
        Change done = waitFor(change::get);
        if (done.after().num() != done.before().num() + 1) {
            throw new AssertionError("one change made configurations " + done.before().num() + " -> "
                    + done.after().num() + " (exactly one expected)");
        }
        heal.apply(cluster.nodes(), leader);
        // Back before the next fault, so two nodes of three serve again.
        Eventually.await(leader + " answering", ContainerNodes.START_TIMEOUT, () -> cluster.answers(leader));
    }

    private interface Waited<T> {
        T get() throws InterruptedException, ExecutionException, TimeoutException;
    }

    private static <T> T waitFor(Waited<T> waited) {
        try {
            return waited.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new AssertionError(e.getCause() == null ? e : e.getCause());
        }
    }

}
