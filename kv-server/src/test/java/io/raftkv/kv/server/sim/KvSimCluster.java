package io.raftkv.kv.server.sim;

import static io.raftkv.raft.sim.Scheduler.SECONDS;

import io.raftkv.common.client.ClientOptions;
import io.raftkv.kv.plain.PlainKvRules;
import io.raftkv.kv.state.KvReader;
import io.raftkv.kv.state.KvStateMachine;
import io.raftkv.raft.api.StateMachine;
import io.raftkv.raft.sim.SimConfig;
import io.raftkv.raft.sim.SimNode;
import io.raftkv.raft.sim.Simulation;
import io.raftkv.testkit.linearizability.CheckResult;
import io.raftkv.testkit.linearizability.KvModel;
import io.raftkv.testkit.linearizability.Operation;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * A KV cluster on the deterministic Raft simulator, with the vocabulary of the 6.824 kvraft test harness: every node
 * runs a real {@link KvStateMachine} (RocksDB, in a directory of its own that a restarted node reopens) and a real
 * {@code KvService} front end ({@link FrontEnds}); simulated clerks ({@link SimClerk}) reach the front ends over a
 * simulated client network ({@link ClientNetwork}); every clerk operation goes into one history ({@link SimHistory}).
 * Raft's safety checker watches every step, as in the Raft scenarios.
 *
 * <p>Everything runs in virtual time on one thread, so a seed reproduces a run exactly; {@link #fail} and any error
 * inside a step report the seed and the cluster's state.
 */
final class KvSimCluster implements AutoCloseable {
    /** The lab's electionTimeout: the budget for electing a leader (ours takes 1 to 2 s plus a pre-vote round). */
    static final long ELECTION_TIMEOUT = SECONDS;
    /**
     * The clerks' options: the real Clerk's, with a shorter attempt timeout. On the unreliable network a lost
     * request or reply is only noticed when the attempt times out (the lab's RPC layer reports it at once), and a
     * second per loss would leave the clients idle most of the time. 300 ms is still far above a round trip.
     */
    static final ClientOptions CLERK_OPTIONS = ClientOptions.DEFAULT.withAttemptTimeout(Duration.ofMillis(300));

    private final Simulation sim;
    private final Path root;
    private final boolean duplicateFilter;
    private final ClientOptions clerkOptions;
    private final ClientNetwork clientNetwork;
    private final SimHistory history;
    private final List<SimClerk> clerks = new ArrayList<>();

    private KvSimCluster(Builder builder) throws IOException {
        this.root = Files.createTempDirectory(SimSettings.dataDirectory(), "raftkv-kvsim-");
        this.duplicateFilter = builder.duplicateFilter;
        this.clerkOptions = builder.clerkOptions;
        try {
            this.sim = new Simulation(SimConfig.builder(builder.servers, builder.seed)
                    .snapshotLogBytes(Math.max(0, builder.maxRaftState))
                    .stateMachines(this::openStateMachine)
                    .build());
        } catch (RuntimeException | Error e) {
            SimSettings.deleteRecursively(root);
            throw e;
        }
        VirtualClock clock = new VirtualClock(sim.scheduler());
        FrontEnds frontEnds = new FrontEnds(sim, node -> new SimKvServer(node, (KvReader) node.stateMachine(), clock));
        this.history = new SimHistory();
        this.clientNetwork = new ClientNetwork(sim.scheduler(), sim.random(), frontEnds::get);
        clientNetwork.unreliable(builder.unreliable);
        sim.network().unreliable(builder.unreliable);
    }

    static Builder builder(int servers, long seed) {
        return new Builder(servers, seed);
    }

    /** How a cluster is set up. */
    static final class Builder {
        private final int servers;
        private final long seed;
        private boolean unreliable;
        private long maxRaftState = -1;
        private boolean duplicateFilter = true;
        private ClientOptions clerkOptions = CLERK_OPTIONS;

        private Builder(int servers, long seed) {
            this.servers = servers;
            this.seed = seed;
        }

        /** The lab's unreliable network, between servers and between clients and servers. */
        Builder unreliable(boolean on) {
            this.unreliable = on;
            return this;
        }

        /** Compact once a node's persisted Raft state reaches this many bytes (the lab's maxraftstate; -1: never). */
        Builder maxRaftState(long bytes) {
            this.maxRaftState = bytes;
            return this;
        }

        /** False runs every node with a broken duplicate filter ({@link DuplicateBlindStateMachine}). */
        Builder duplicateFilter(boolean on) {
            this.duplicateFilter = on;
            return this;
        }

        Builder clerkOptions(ClientOptions options) {
            this.clerkOptions = options;
            return this;
        }

        KvSimCluster build() {
            try {
                return new KvSimCluster(this);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private StateMachine openStateMachine(String id) {
        try {
            KvStateMachine machine = PlainKvRules.openState(root.resolve(id), KvStateMachine.DEFAULT_SESSION_TTL);
            return duplicateFilter ? machine : new DuplicateBlindStateMachine(machine);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---------------------------------------------------------------- the cluster

    Simulation sim() {
        return sim;
    }

    int size() {
        return sim.nodes().size();
    }

    /** The id of server {@code i} (numbered from 0, as in the lab). */
    String id(int i) {
        return sim.node(i).id();
    }

    /** The ids of the servers numbered {@code indexes}. */
    List<String> ids(int... indexes) {
        return Arrays.stream(indexes).mapToObj(this::id).toList();
    }

    List<String> all() {
        return sim.ids();
    }

    SimHistory history() {
        return history;
    }

    ClientNetwork clientNetwork() {
        return clientNetwork;
    }

    // ---------------------------------------------------------------- clerks

    /** A new clerk talking to every server (the lab's makeClient(All())). */
    SimClerk newClerk() {
        return newClerk(all());
    }

    /** A new clerk talking to {@code serverIds} only. */
    SimClerk newClerk(List<String> serverIds) {
        SimClerk clerk = new SimClerk(clerks.size(), serverIds, clerkOptions, sim.scheduler(), sim.random(),
                clientNetwork, history);
        clerks.add(clerk);
        return clerk;
    }

    /** Runs the simulation until {@code call} finishes; a clerk always does by its deadline. */
    Outcome await(ClerkCall call) {
        long budget = clerkOptions.timeout().toNanos() / 1_000 + SECONDS;
        if (!runUntil(call::done, budget)) {
            throw fail("a clerk operation did not finish within its deadline");
        }
        return call.outcome();
    }

    /** A Get that must complete; returns the value, or null if the key does not exist. */
    String get(SimClerk clerk, String key) {
        Outcome outcome = await(clerk.get(key));
        if (!outcome.completed()) {
            throw fail("Get(" + key + ") by " + clerk + " did not complete: " + outcome.status());
        }
        return outcome.value();
    }

    /** A Put that must be acknowledged. */
    void put(SimClerk clerk, String key, String value) {
        Outcome outcome = await(clerk.put(key, value));
        if (outcome.status() != Outcome.Status.OK) {
            throw fail("Put(" + key + ", " + value + ") by " + clerk + " did not complete: " + outcome.status());
        }
    }

    /** The lab's check(): a Get that must return {@code expected}. */
    void check(SimClerk clerk, String key, String expected) {
        String value = get(clerk, key);
        if (!expected.equals(value)) {
            throw fail("Get(" + key + "): expected \"" + expected + "\", received "
                    + (value == null ? "no key" : "\"" + value + "\""));
        }
    }

    // ---------------------------------------------------------------- faults

    /** Splits the servers into groups that only talk among themselves (clients still reach every server). */
    void partition(List<List<String>> groups) {
        sim.partition(groups);
    }

    /** Reconnects every server (the lab's ConnectAll). */
    void heal() {
        sim.heal();
    }

    /** Kills a server: it keeps what it persisted (its Raft state and its RocksDB directory). */
    void crash(String id) {
        sim.crash(id);
    }

    /** Starts a killed server again from its disk. */
    void restart(String id) {
        sim.restart(id);
    }

    void crashAll() {
        all().forEach(this::crash);
    }

    void restartAll() {
        all().forEach(this::restart);
    }

    /** The lab's make_partition: a majority without the current leader, and a minority holding it. */
    List<List<String>> majorityAndMinorityWithLeader() {
        String leader = leader();
        List<String> majority = new ArrayList<>();
        List<String> minority = new ArrayList<>();
        for (String id : all()) {
            if (!id.equals(leader)) {
                (majority.size() < size() / 2 + 1 ? majority : minority).add(id);
            }
        }
        minority.add(leader);
        return List.of(majority, minority);
    }

    /** The current leader, waiting (up to 5 election timeouts) for one. */
    String leader() {
        if (!runUntil(() -> sim.leader().isPresent(), 5 * ELECTION_TIMEOUT)) {
            throw fail("no leader");
        }
        return sim.leader().orElseThrow().id();
    }

    // ---------------------------------------------------------------- time

    void runFor(long micros) {
        try {
            sim.runFor(micros);
        } catch (ScenarioFailure e) {
            throw e;
        } catch (RuntimeException | AssertionError e) {
            throw fail(e.toString(), e);
        }
    }

    boolean runUntil(BooleanSupplier condition, long micros) {
        try {
            return sim.runUntil(condition, micros);
        } catch (ScenarioFailure e) {
            throw e;
        } catch (RuntimeException | AssertionError e) {
            throw fail(e.toString(), e);
        }
    }

    // ---------------------------------------------------------------- observations

    /** The largest persisted Raft state among the servers, in bytes (the lab's LogSize). */
    long logSize() {
        return sim.nodes().stream().mapToLong(n -> n.storage().sizeInBytes()).max().orElse(0);
    }

    /**
     * At rest, every server's persisted Raft state is under max-raft-state: a node compacts as soon as it applies the
     * entry that takes it there (the lab allows 8 x maxraftstate, since its servers compact asynchronously).
     */
    void checkRaftStateTrimmed(long maxRaftState, String when) {
        long size = logSize();
        if (size > maxRaftState) {
            throw fail(when + ": logs were not trimmed: a Raft state of " + size + " bytes is over max-raft-state ("
                    + maxRaftState + ")");
        }
    }

    /** The largest snapshot a server holds, in bytes (the lab's SnapshotSize). */
    int snapshotSize() {
        return sim.nodes().stream().mapToInt(SimNode::snapshotSize).max().orElse(0);
    }

    /** InstallSnapshot messages sent so far. */
    long snapshotsSent() {
        return sim.network().sent(io.raftkv.proto.raft.MessageType.MSG_SNAPSHOT);
    }

    /**
     * The history's checks: it is linearizable (writes of unknown outcome may or may not have happened), and no
     * value any Get returned holds an append token twice (an append applied twice).
     */
    void checkHistory() {
        List<Operation<KvModel.Input, KvModel.Output>> operations = history.operations();
        for (Operation<KvModel.Input, KvModel.Output> op : operations) {
            if (op.outcomeKnown() && op.input().op() == KvModel.Op.GET && op.output().value() != null) {
                String duplicate = AppendTokens.duplicateIn(op.output().value());
                if (duplicate != null) {
                    throw fail("an append was applied twice: Get(" + op.input().key() + ") returned \""
                            + op.output().value() + "\", which holds \"" + duplicate + "\" twice");
                }
            }
        }
        CheckResult result = history.checkLinearizable();
        if (!result.isLinearizable()) {
            throw fail("the history is not linearizable: " + result);
        }
    }

    /** A failure of the scenario, with the seed and the cluster's state. */
    ScenarioFailure fail(String message) {
        return fail(message, null);
    }

    private ScenarioFailure fail(String message, Throwable cause) {
        StringBuilder clerkStates = new StringBuilder();
        for (SimClerk clerk : clerks) {
            if (clerk.busy()) {
                clerkStates.append("  ").append(clerk).append('\n');
            }
        }
        long seed = sim.config().seed();
        return new ScenarioFailure("seed " + seed + " (re-run with -Draftkv.kvsim.seed=" + seed + "): " + message
                + "\n" + sim.describe()
                + (clerkStates.isEmpty() ? "" : "clerks in flight:\n" + clerkStates), cause);
    }

    /** A scenario check failed; the message carries the seed and the cluster's state. */
    static final class ScenarioFailure extends AssertionError {
        ScenarioFailure(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Stops every server (closing its RocksDB) and deletes the cluster's directories. */
    @Override
    public void close() {
        SimSettings.stopAndDelete(sim, root);
    }
}
