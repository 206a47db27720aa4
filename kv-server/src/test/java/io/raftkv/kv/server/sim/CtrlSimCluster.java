package io.raftkv.kv.server.sim;

import static io.raftkv.raft.sim.Scheduler.SECONDS;

import io.raftkv.kv.shardctrler.ControllerStateMachine;
import io.raftkv.raft.api.StateMachine;
import io.raftkv.raft.sim.SimConfig;
import io.raftkv.raft.sim.SimNode;
import io.raftkv.raft.sim.Simulation;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * A shard controller cluster on the deterministic Raft simulator: every node runs the real
 * {@link ControllerStateMachine} (RocksDB, reopened by a restarted node) behind the real {@code ControllerService}
 * ({@link SimCtrlServer}); {@link SimCtrlClerk}s reach them over the simulated client network. A seed reproduces a
 * run exactly; failures name it.
 */
final class CtrlSimCluster implements AutoCloseable {
    static final int SHARDS = 10;

    private final Simulation sim;
    private final Path root;
    private final ClientNetwork clientNetwork;

    CtrlSimCluster(int servers, long seed, boolean unreliable) throws IOException {
        this.root = Files.createTempDirectory(SimSettings.dataDirectory(), "raftkv-ctrlsim-");
        try {
            this.sim = new Simulation(SimConfig.builder(servers, seed).stateMachines(this::openStateMachine).build());
        } catch (RuntimeException | Error e) {
            SimSettings.deleteRecursively(root);
            throw e;
        }
        VirtualClock clock = new VirtualClock(sim.scheduler());
        FrontEnds frontEnds = new FrontEnds(sim, node -> new SimCtrlServer(node, clock));
        this.clientNetwork = new ClientNetwork(sim.scheduler(), sim.random(), frontEnds::get);
        clientNetwork.unreliable(unreliable);
        sim.network().unreliable(unreliable);
    }

    private StateMachine openStateMachine(String id) {
        try {
            return ControllerStateMachine.open(root.resolve(id), SHARDS, Duration.ofHours(1));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Simulation sim() {
        return sim;
    }

    List<String> all() {
        return sim.ids();
    }

    SimCtrlClerk newClerk() {
        return new SimCtrlClerk(sim.scheduler(), sim.random(), clientNetwork, all());
    }

    /** Runs until {@code call} has its answer; fails the scenario after {@code budgetSeconds} of virtual time. */
    SimCtrlClerk.Call await(SimCtrlClerk.Call call, long budgetSeconds) {
        if (!runUntil(call::done, budgetSeconds * SECONDS)) {
            throw fail("a controller request got no answer within " + budgetSeconds + " s: " + call.request());
        }
        return call;
    }

    SimCtrlClerk.Call await(SimCtrlClerk.Call call) {
        return await(call, 30);
    }

    /** Runs until every call has its answer. */
    void awaitAll(List<SimCtrlClerk.Call> calls) {
        if (!runUntil(() -> calls.stream().allMatch(SimCtrlClerk.Call::done), 60 * SECONDS)) {
            throw fail("concurrent controller requests got no answer within 60 s");
        }
    }

    String leader() {
        if (!runUntil(() -> sim.leader().isPresent(), 10 * SECONDS)) {
            throw fail("no leader");
        }
        return sim.leader().orElseThrow().id();
    }

    void crash(String id) {
        sim.crash(id);
    }

    void restart(String id) {
        sim.restart(id);
    }

    /** The state machine of node {@code id} (up), for comparing what replicas stored. */
    ControllerStateMachine stateOf(String id) {
        SimNode node = sim.nodes().stream().filter(n -> n.id().equals(id)).findFirst().orElseThrow();
        return (ControllerStateMachine) node.stateMachine();
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

    void runFor(long micros) {
        runUntil(() -> false, micros);
    }

    ScenarioFailure fail(String message) {
        return fail(message, null);
    }

    private ScenarioFailure fail(String message, Throwable cause) {
        long seed = sim.config().seed();
        return new ScenarioFailure("seed " + seed + " (re-run with -Draftkv.kvsim.seed=" + seed + "): " + message
                + "\n" + sim.describe(), cause);
    }

    static final class ScenarioFailure extends AssertionError {
        ScenarioFailure(String message, Throwable cause) {
            super(message, cause);
        }
    }

    @Override
    public void close() {
        SimSettings.stopAndDelete(sim, root);
    }
}
