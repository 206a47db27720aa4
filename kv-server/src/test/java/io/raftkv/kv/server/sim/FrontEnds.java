package io.raftkv.kv.server.sim;

import io.raftkv.raft.sim.SimListener;
import io.raftkv.raft.sim.SimNode;
import io.raftkv.raft.sim.Simulation;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The running front end ({@link SimFrontEnd}: the KV service, the shard controller) of each node: a new one for each
 * incarnation, over that incarnation's state machine; a crashed node has none.
 */
final class FrontEnds implements SimListener {
    private final Simulation sim;
    private final Function<SimNode, SimFrontEnd> factory;
    private final Map<String, SimFrontEnd> running = new TreeMap<>();

    /** Starts a front end ({@code factory}) on every node of {@code sim} and follows the nodes from then on. */
    FrontEnds(Simulation sim, Function<SimNode, SimFrontEnd> factory) {
        this.sim = sim;
        this.factory = factory;
        for (SimNode node : sim.nodes()) {
            running.put(node.id(), start(node));
        }
        sim.addListener(this);
    }

    /** The front end of node {@code id}, or null while it is down. */
    SimFrontEnd get(String id) {
        return running.get(id);
    }

    private SimFrontEnd start(SimNode node) {
        return factory.apply(node);
    }

    @Override
    public void onCrash(SimNode node) {
        SimFrontEnd server = running.remove(node.id());
        if (server != null) {
            server.crash();
        }
    }

    @Override
    public void onRestart(SimNode node) {
        running.put(node.id(), start(node));
    }
}
