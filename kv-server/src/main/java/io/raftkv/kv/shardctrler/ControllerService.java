package io.raftkv.kv.shardctrler;

import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.MeterRegistry;
import io.raftkv.proto.service.ErrorCode;
import io.raftkv.proto.service.RequestHeader;
import io.raftkv.proto.shardctrler.ChangeReply;
import io.raftkv.proto.shardctrler.CtrlCommand;
import io.raftkv.proto.shardctrler.CtrlCommandResult;
import io.raftkv.proto.shardctrler.JoinRequest;
import io.raftkv.proto.shardctrler.LeaveRequest;
import io.raftkv.proto.shardctrler.MoveRequest;
import io.raftkv.proto.shardctrler.QueryReply;
import io.raftkv.proto.shardctrler.QueryRequest;
import io.raftkv.proto.shardctrler.SetServersRequest;
import io.raftkv.proto.shardctrler.ShardCtrlerGrpc;
import io.raftkv.raft.api.RaftService;
import io.raftkv.raft.service.ReplyForm;
import io.raftkv.raft.service.RequestFrontEnd;
import io.raftkv.raft.service.RequestMetrics;
import io.raftkv.raft.service.SessionTable;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executor;

/**
 * The gRPC ShardCtrler service of one controller node. Join, Leave and Move are checked, proposed as
 * {@link CtrlCommand}s (stamped with this node's clock, the log's clock for session expiry) and answered with what
 * the state machine made of them; Query waits for a ReadIndex barrier and reads the local history. The request path
 * itself is {@link RequestFrontEnd}'s: nothing blocks a gRPC thread.
 */
public final class ControllerService extends ShardCtrlerGrpc.ShardCtrlerImplBase {
    /** The request timer: tagged by op (join/leave/move/query) and result. */
    static final String METRIC = "shardctrler.requests";
    private static final ReplyForm<ChangeReply.Builder, ChangeReply> CHANGE = new ReplyForm<>(ChangeReply::newBuilder,
            ChangeReply.Builder::setCode, ChangeReply.Builder::setMessage, ChangeReply.Builder::setLeader,
            ChangeReply.Builder::setNodeId, ChangeReply.Builder::getCode, ChangeReply.Builder::build);
    private static final ReplyForm<QueryReply.Builder, QueryReply> QUERY = new ReplyForm<>(QueryReply::newBuilder,
            QueryReply.Builder::setCode, QueryReply.Builder::setMessage, QueryReply.Builder::setLeader,
            QueryReply.Builder::setNodeId, QueryReply.Builder::getCode, QueryReply.Builder::build);

    private final RequestFrontEnd front;
    private final ControllerStateMachine machine;
    private final Clock clock;

    public ControllerService(RaftService raft, ControllerStateMachine machine, String nodeId,
            Duration requestTimeout, Clock clock, Executor executor, MeterRegistry registry) {
        this.front = new RequestFrontEnd(raft, requestTimeout, "controller node", nodeId, executor,
                new RequestMetrics(registry, METRIC, "Shard controller requests by operation and result"));
        this.machine = machine;
        this.clock = clock;
    }

    @Override
    public void join(JoinRequest request, StreamObserver<ChangeReply> out) {
        change("join", ConfigChanges.checkJoin(request), request.getClientId(), request.getSequence(),
                CtrlCommand.newBuilder().setJoin(request), out);
    }

    @Override
    public void leave(LeaveRequest request, StreamObserver<ChangeReply> out) {
        change("leave", ConfigChanges.checkLeave(request), request.getClientId(), request.getSequence(),
                CtrlCommand.newBuilder().setLeave(request), out);
    }

    @Override
    public void move(MoveRequest request, StreamObserver<ChangeReply> out) {
        change("move", ConfigChanges.checkMove(request, machine.shards()), request.getClientId(),
                request.getSequence(), CtrlCommand.newBuilder().setMove(request), out);
    }

    @Override
    public void setServers(SetServersRequest request, StreamObserver<ChangeReply> out) {
        change("set_servers", ConfigChanges.checkSetServers(request), request.getClientId(), request.getSequence(),
                CtrlCommand.newBuilder().setSetServers(request), out);
    }

    private void change(String op, String invalid, long clientId, long sequence, CtrlCommand.Builder command,
            StreamObserver<ChangeReply> out) {
        long start = System.nanoTime();
        if (invalid == null && !SessionTable.identifies(clientId, sequence)) {
            invalid = "a change needs a non-zero client_id and sequence";
        }
        if (invalid != null) {
            front.refuse(out, op, start, CHANGE, ErrorCode.INVALID_ARGUMENT, invalid, reply -> { });
            return;
        }
        byte[] entry = command.setHeader(RequestHeader.newBuilder().setClientId(clientId).setSequence(sequence)
                .setTimestampMillis(clock.millis())).build().toByteArray();
        front.propose(out, op, start, CHANGE, entry, (applied, reply) -> {
            CtrlCommandResult result = CtrlCommandResult.parseFrom(applied);
            reply.setCode(result.getCode()).setMessage(result.getMessage()).setNum(result.getNum());
        });
    }

    @Override
    public void query(QueryRequest request, StreamObserver<QueryReply> out) {
        long num = request.getNum();
        front.read(out, "query", System.nanoTime(), QUERY, () -> machine.query(num),
                (reply, config) -> reply.setCode(ErrorCode.OK).setConfig(config));
    }
}
