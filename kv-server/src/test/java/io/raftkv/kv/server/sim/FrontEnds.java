package io.raftkv.kv.server.sim;

import io.raftkv.kv.server.KvReader;
import io.raftkv.raft.api.StateMachine;
import io.raftkv.raft.core.ReadState;
import io.raftkv.raft.core.SoftState;
import io.raftkv.raft.sim.SimListener;
import io.raftkv.raft.sim.SimNode;
import io.raftkv.raft.sim.Simulation;
import java.time.Clock;
import java.util.Map;
import java.util.TreeMap;

/**
 * The running front end ({@link SimKvServer}) of each node: a new one for each incarnation, over that incarnation's
 * state machine, fed with its node's events; a crashed node has none.
 */
final class FrontEnds implements SimListener {
    private final Simulation sim;
    private final Clock clock;
    private final long readTimeoutMicros;
    private final Map<String, SimKvServer> running = new TreeMap<>();

    /** Starts a front end on every node of {@code sim} and follows the nodes from then on. */
    FrontEnds(Simulation sim, Clock clock, long readTimeoutMicros) {
        this.sim = sim;
        this.clock = clock;
        this.readTimeoutMicros = readTimeoutMicros;
        for (SimNode node : sim.nodes()) {
            running.put(node.id(), start(node));
        }
        sim.addListener(this);
        sweepEveryTick();
    }

    /** The front end of node {@code id}, or null while it is down. */
    SimKvServer get(String id) {
        return running.get(id);
    }

    private SimKvServer start(SimNode node) {
        return new SimKvServer(sim, node, (KvReader) node.stateMachine(), clock, readTimeoutMicros);
    }

    private void sweepEveryTick() {
        sim.scheduler().after(sim.config().tickMicros(), () -> {
            for (SimKvServer server : running.values()) {
                server.raft().sweep();
            }
            sweepEveryTick();
        });
    }

    @Override
    public void onApplied(SimNode node, StateMachine.Command command, byte[] reply) {
        SimKvServer server = running.get(node.id());
        if (server != null) {
            server.raft().onApplied(command.index(), command.term(), reply);
        }
    }

    @Override
    public void onSnapshotInstalled(SimNode node, long index, long term) {
        SimKvServer server = running.get(node.id());
        if (server != null) {
            server.raft().onSnapshotInstalled(index);
        }
    }

    @Override
    public void onReadState(SimNode node, ReadState read) {
        SimKvServer server = running.get(node.id());
        if (server != null) {
            server.raft().onReadState(read);
        }
    }

    @Override
    public void onSoftState(SimNode node, SoftState state) {
        SimKvServer server = running.get(node.id());
        if (server != null) {
            server.raft().sweep();
        }
    }

    @Override
    public void onCrash(SimNode node) {
        SimKvServer server = running.remove(node.id());
        if (server != null) {
            server.crash();
        }
    }

    @Override
    public void onRestart(SimNode node) {
        running.put(node.id(), start(node));
    }
}
