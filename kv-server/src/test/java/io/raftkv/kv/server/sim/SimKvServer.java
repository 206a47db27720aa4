package io.raftkv.kv.server.sim;

import com.google.protobuf.Message;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raftkv.kv.server.KvLimits;
import io.raftkv.kv.server.KvService;
import io.raftkv.kv.server.NodeIdentity;
import io.raftkv.kv.state.KvReader;
import io.raftkv.proto.kv.AppendRequest;
import io.raftkv.proto.kv.DeleteRequest;
import io.raftkv.proto.kv.GetRequest;
import io.raftkv.proto.kv.PutRequest;
import io.raftkv.raft.sim.SimNode;
import java.time.Clock;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * One incarnation of a node's client front end: the real {@link KvService}, over a {@link SimRaftService} and the
 * node's KV state machine, taking requests from the simulated client network. Requests run through exactly the code
 * a gRPC server runs; only the transport differs. Replies are built inside simulation steps (the service's executor
 * runs tasks in place), so a run stays a function of its seed.
 *
 * <p>When the node crashes, every open call fails as a reset connection and the incarnation answers nothing more.
 */
final class SimKvServer implements SimFrontEnd {
    /**
     * The service's own request timeout runs on the wall clock, so it is set beyond any run and never fires: the
     * simulated clients time their attempts out in virtual time instead, as the real Clerk's deadlines do.
     */
    static final Duration REQUEST_TIMEOUT = Duration.ofHours(1);

    private final SimRaftService raft;
    private final KvService service;
    private final SimCalls calls = new SimCalls();

    SimKvServer(SimNode node, KvReader reader, Clock clock) {
        this.raft = new SimRaftService(node);
        // Node ids double as addresses in the simulation, so NOT_LEADER hints name ids the clerks know.
        this.service = new KvService(raft, reader, new NodeIdentity(node.id(), node.id()), KvLimits.DEFAULT,
                REQUEST_TIMEOUT, clock, Runnable::run, new SimpleMeterRegistry());
    }

    @Override
    public SimRaftService raft() {
        return raft;
    }

    @Override
    public void handle(Message request, Consumer<ClientReply> respond) {
        if (!handleKv(service, calls, request, respond)) {
            throw new IllegalArgumentException("not a Kv request: " + request.getClass().getName());
        }
    }

    /** Hands a Kv request to {@code service} as gRPC would; false if {@code request} is no Kv request. */
    static boolean handleKv(KvService service, SimCalls calls, Message request, Consumer<ClientReply> respond) {
        switch (request) {
            case GetRequest get -> service.get(get, calls.open(respond));
            case PutRequest put -> service.put(put, calls.open(respond));
            case AppendRequest append -> service.append(append, calls.open(respond));
            case DeleteRequest delete -> service.delete(delete, calls.open(respond));
            default -> {
                return false;
            }
        }
        return true;
    }

    /** The node crashed: open calls fail as reset connections; the service's pending work is abandoned. */
    @Override
    public void crash() {
        calls.crash();
        raft.stop();
    }
}
