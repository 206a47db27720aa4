package io.raftkv.raft.sim;

import io.raftkv.raft.core.RaftConfig;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;
import java.util.random.RandomGenerator;

/**
 * A deterministic cluster of Raft nodes in one JVM: one seeded random source, virtual time, a simulated network, and
 * a safety checker that watches every step. Equal seeds (and equal test code) give identical runs, so a failure is
 * reproduced by re-running its seed.
 *
 * <p>Tests and client actors drive it through node handles ({@link #node}), fault injection ({@link #crash},
 * {@link #restart}, {@link #isolate}, {@link #partition}, the {@link #network()} settings) and time
 * ({@link #runFor}, {@link #runUntil}); they schedule their own behaviour on {@link #scheduler()} and observe nodes
 * through {@link SimListener}s.
 */
public final class Simulation {
    private final SimConfig config;
    private final SplittableRandom random;
    private final Scheduler scheduler;
    private final SimNetwork network;
    private final SafetyChecker checker = new SafetyChecker();
    private final Trace trace = new Trace(400);
    private final List<SimNode> nodes = new ArrayList<>();
    private final Map<String, SimNode> byId = new HashMap<>();
    private final List<SimListener> listeners = new ArrayList<>();
    private final Mutation mutation;

    /** Builds the cluster and starts every node. */
    public Simulation(SimConfig config) {
        this(config, new Scheduler(), new SplittableRandom(config.seed()));
    }

    /**
     * Builds a cluster that shares virtual time and the random source with others, so that several Raft groups (a
     * sharded service's) run in one deterministic run: running any of them runs all. Node ids must differ across
     * the clusters.
     */
    public Simulation(SimConfig config, Scheduler scheduler, SplittableRandom random) {
        this.config = config;
        this.mutation = config.mutation();
        this.scheduler = scheduler;
        this.random = random;
        this.network = new SimNetwork(this, random, config.ids().size());
        for (int i = 0; i < config.ids().size(); i++) {
            String id = config.ids().get(i);
            RaftConfig raft = config.raftTuning()
                    .apply(RaftConfig.builder(id, config.voters()).joining(config.isJoiner(id))).build();
            SimNode node = new SimNode(this, id, i, raft);
            nodes.add(node);
            byId.put(id, node);
            checker.addNode(id);
        }
        for (SimNode node : nodes) {
            node.start();
        }
    }

    public SimConfig config() {
        return config;
    }

    public Scheduler scheduler() {
        return scheduler;
    }

    public SimNetwork network() {
        return network;
    }

    public SafetyChecker checker() {
        return checker;
    }

    /** The one random source of the run: anything a test randomizes must draw from it to stay reproducible. */
    public RandomGenerator random() {
        return random;
    }

    /** The deliberate bug the nodes' disks run with (tests of the checker only; {@link Mutation#NONE} otherwise). */
    Mutation mutation() {
        return mutation;
    }

    public Trace trace() {
        return trace;
    }

    public List<SimNode> nodes() {
        return nodes;
    }

    public SimNode node(String id) {
        SimNode n = byId.get(id);
        if (n == null) {
            throw new IllegalArgumentException("no node " + id);
        }
        return n;
    }

    public SimNode node(int index) {
        return nodes.get(index);
    }

    public List<String> ids() {
        return config.ids();
    }

    public void addListener(SimListener listener) {
        listeners.add(listener);
    }

    List<SimListener> listeners() {
        return listeners;
    }

    public long now() {
        return scheduler.now();
    }

    public long steps() {
        return scheduler.steps();
    }

    // ---------------------------------------------------------------- faults

    /** Stops a node at once: it keeps only its disk (what it persisted); in-flight writes are lost. */
    public void crash(String id) {
        SimNode n = node(id);
        if (n.isUp()) {
            trace.record(now(), id, "crash", null);
            n.crash();
            for (SimListener l : listeners) {
                l.onCrash(n);
            }
        }
    }

    /** Starts a crashed node again from its disk, with a fresh state machine restored from its snapshot. */
    public void restart(String id) {
        SimNode n = node(id);
        if (!n.isUp()) {
            trace.record(now(), id, "restart", null);
            n.start();
            for (SimListener l : listeners) {
                l.onRestart(n);
            }
        }
    }

    /** Cuts a node off from everyone (messages to and from it are lost, including ones already in flight). */
    public void isolate(String id) {
        trace.record(now(), id, "isolate", null);
        network.isolate(node(id).index());
    }

    public void reconnect(String id) {
        trace.record(now(), id, "reconnect", null);
        network.reconnect(node(id).index());
    }

    /** Splits the cluster into groups that only talk among themselves; nodes not listed form one more group. */
    public void partition(Collection<? extends Collection<String>> groups) {
        int[] groupOf = new int[nodes.size()];
        java.util.Arrays.fill(groupOf, groups.size());
        int g = 0;
        for (Collection<String> group : groups) {
            for (String id : group) {
                groupOf[node(id).index()] = g;
            }
            g++;
        }
        trace.record(now(), "-", "partition", groups);
        network.partition(groupOf);
    }

    /** Restores full connectivity. */
    public void heal() {
        trace.record(now(), "-", "heal", null);
        network.heal();
    }

    // ---------------------------------------------------------------- time

    /** Runs one event; false if nothing is scheduled. */
    public boolean step() {
        return scheduler.step();
    }

    /** Runs for {@code micros} of virtual time. */
    public void runFor(long micros) {
        scheduler.runUntil(scheduler.now() + micros);
    }

    /** Runs until {@code condition} holds or {@code timeoutMicros} of virtual time pass; returns whether it holds. */
    public boolean runUntil(BooleanSupplier condition, long timeoutMicros) {
        return scheduler.runUntil(condition, scheduler.now() + timeoutMicros);
    }

    // ---------------------------------------------------------------- views

    /** The live node that believes it leads in the highest term, if any. */
    public Optional<SimNode> leader() {
        SimNode best = null;
        for (SimNode n : nodes) {
            if (n.isLeader() && (best == null || n.term() > best.term())) {
                best = n;
            }
        }
        return Optional.ofNullable(best);
    }

    /** The state of every node and the last events, for failure messages. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append("seed ").append(config.seed()).append(" at ").append(now() / 1e6).append("s after ")
                .append(steps()).append(" steps; committed ").append(checker.committedIndex()).append('\n');
        for (SimNode n : nodes) {
            sb.append("  ").append(n).append(network.isIsolated(n.index()) ? " isolated" : "").append('\n');
        }
        sb.append("last events:\n").append(trace.format());
        return sb.toString();
    }
}
