package io.raftkv.kv.server.sim;

import com.google.protobuf.Message;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raftkv.kv.shardctrler.ControllerService;
import io.raftkv.kv.shardctrler.ControllerStateMachine;
import io.raftkv.proto.shardctrler.JoinRequest;
import io.raftkv.proto.shardctrler.LeaveRequest;
import io.raftkv.proto.shardctrler.MoveRequest;
import io.raftkv.proto.shardctrler.QueryRequest;
import io.raftkv.raft.sim.SimNode;
import java.time.Clock;
import java.util.function.Consumer;

/**
 * One incarnation of a controller node's front end: the real {@link ControllerService} over a {@link SimRaftService}
 * and the node's real {@link ControllerStateMachine}, serving the simulated client network (as {@link SimKvServer}
 * does for the KV service).
 */
final class SimCtrlServer implements SimFrontEnd {
    private final SimRaftService raft;
    private final ControllerService service;
    private final SimCalls calls = new SimCalls();

    SimCtrlServer(SimNode node, Clock clock) {
        this.raft = new SimRaftService(node);
        this.service = new ControllerService(raft, (ControllerStateMachine) node.stateMachine(), node.id(),
                SimKvServer.REQUEST_TIMEOUT, clock, Runnable::run, new SimpleMeterRegistry());
    }

    @Override
    public SimRaftService raft() {
        return raft;
    }

    @Override
    public void handle(Message request, Consumer<ClientReply> respond) {
        switch (request) {
            case JoinRequest join -> service.join(join, calls.open(respond));
            case LeaveRequest leave -> service.leave(leave, calls.open(respond));
            case MoveRequest move -> service.move(move, calls.open(respond));
            case QueryRequest query -> service.query(query, calls.open(respond));
            default -> throw new IllegalArgumentException("not a controller request: " + request.getClass());
        }
    }

    @Override
    public void crash() {
        calls.crash();
        raft.stop();
    }
}
