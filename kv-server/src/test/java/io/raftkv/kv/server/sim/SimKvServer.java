package io.raftkv.kv.server.sim;

import com.google.protobuf.Message;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raftkv.kv.server.KvLimits;
import io.raftkv.kv.server.KvReader;
import io.raftkv.kv.server.KvService;
import io.raftkv.kv.server.NodeIdentity;
import io.raftkv.proto.kv.AppendRequest;
import io.raftkv.proto.kv.DeleteRequest;
import io.raftkv.proto.kv.GetRequest;
import io.raftkv.proto.kv.PutRequest;
import io.raftkv.raft.sim.SimNode;
import io.raftkv.raft.sim.Simulation;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * One incarnation of a node's client front end: the real {@link KvService}, over a {@link SimRaftService} and the
 * node's KV state machine, taking requests from the simulated client network. Requests run through exactly the code
 * a gRPC server runs; only the transport differs. Replies are built inside simulation steps (the service's executor
 * runs tasks in place), so a run stays a function of its seed.
 *
 * <p>When the node crashes, every open call fails as a reset connection and the incarnation answers nothing more.
 */
final class SimKvServer {
    /**
     * The service's own request timeout runs on the wall clock, so it is set beyond any run and never fires: the
     * simulated clients time their attempts out in virtual time instead, as the real Clerk's deadlines do.
     */
    static final Duration REQUEST_TIMEOUT = Duration.ofHours(1);

    private final SimRaftService raft;
    private final KvService service;
    private final Set<OpenCall<?>> open = new LinkedHashSet<>();
    private boolean crashed;

    SimKvServer(Simulation sim, SimNode node, KvReader reader, Clock clock, long readTimeoutMicros) {
        this.raft = new SimRaftService(sim, node, readTimeoutMicros);
        // Node ids double as addresses in the simulation, so NOT_LEADER hints name ids the clerks know.
        this.service = new KvService(raft, reader, new NodeIdentity(node.id(), node.id()), KvLimits.DEFAULT,
                REQUEST_TIMEOUT, clock, Runnable::run, new SimpleMeterRegistry());
    }

    SimRaftService raft() {
        return raft;
    }

    /** Serves one client request; {@code respond} gets its reply, or a failure if the node crashes first. */
    void handle(Message request, Consumer<ClientReply> respond) {
        switch (request) {
            case GetRequest get -> service.get(get, open(respond));
            case PutRequest put -> service.put(put, open(respond));
            case AppendRequest append -> service.append(append, open(respond));
            case DeleteRequest delete -> service.delete(delete, open(respond));
            default -> throw new IllegalArgumentException("not a Kv request: " + request.getClass().getName());
        }
    }

    /** The node crashed: open calls fail as reset connections; the service's pending work is abandoned. */
    void crash() {
        crashed = true;
        List<OpenCall<?>> calls = new ArrayList<>(open);
        open.clear();
        for (OpenCall<?> call : calls) {
            call.respond.accept(ClientReply.failed("the connection was reset (the server went down)"));
        }
        raft.stop();
    }

    private <T extends Message> OpenCall<T> open(Consumer<ClientReply> respond) {
        OpenCall<T> call = new OpenCall<>(respond);
        if (crashed) {
            respond.accept(ClientReply.failed("the server is down"));
        } else {
            open.add(call);
        }
        return call;
    }

    /** The server side of one call, as gRPC hands it to the service. */
    private final class OpenCall<T extends Message> implements StreamObserver<T> {
        private final Consumer<ClientReply> respond;
        private T reply;

        OpenCall(Consumer<ClientReply> respond) {
            this.respond = respond;
        }

        @Override
        public void onNext(T value) {
            reply = value;
        }

        @Override
        public void onError(Throwable error) {
            finish(ClientReply.failed("UNAVAILABLE: " + error.getMessage()));
        }

        @Override
        public void onCompleted() {
            finish(reply == null ? ClientReply.failed("the call completed without a reply") : ClientReply.of(reply));
        }

        private void finish(ClientReply answer) {
            if (open.remove(this)) {
                respond.accept(answer);
            }
        }
    }
}
