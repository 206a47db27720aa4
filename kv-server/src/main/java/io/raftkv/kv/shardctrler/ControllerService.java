package io.raftkv.kv.shardctrler;

import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.raftkv.proto.service.ErrorCode;
import io.raftkv.proto.service.LeaderHint;
import io.raftkv.proto.shardctrler.ChangeReply;
import io.raftkv.proto.shardctrler.CtrlCommand;
import io.raftkv.proto.shardctrler.CtrlCommandResult;
import io.raftkv.proto.shardctrler.JoinRequest;
import io.raftkv.proto.shardctrler.LeaveRequest;
import io.raftkv.proto.shardctrler.MoveRequest;
import io.raftkv.proto.shardctrler.QueryReply;
import io.raftkv.proto.shardctrler.QueryRequest;
import io.raftkv.proto.shardctrler.ShardCtrlerGrpc;
import io.raftkv.raft.api.RaftService;
import io.raftkv.raft.service.RaftRequests;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gRPC ShardCtrler service of one controller node. Join, Leave and Move are checked, proposed as
 * {@link CtrlCommand}s (stamped with this node's clock, the log's clock for session expiry) and answered with what
 * the state machine made of them; Query waits for a ReadIndex barrier and reads the local history. Nothing blocks a
 * gRPC thread: replies are sent from {@code executor}.
 */
public final class ControllerService extends ShardCtrlerGrpc.ShardCtrlerImplBase {
    private static final Logger LOG = LoggerFactory.getLogger(ControllerService.class);

    private final RaftRequests requests;
    private final ControllerStateMachine machine;
    private final String nodeId;
    private final Clock clock;
    private final Executor executor;

    public ControllerService(RaftService raft, ControllerStateMachine machine, String nodeId,
            Duration requestTimeout, Clock clock, Executor executor) {
        this.requests = new RaftRequests(raft, requestTimeout);
        this.machine = machine;
        this.nodeId = nodeId;
        this.clock = clock;
        this.executor = executor;
    }

    @Override
    public void join(JoinRequest request, StreamObserver<ChangeReply> out) {
        change(ConfigChanges.checkJoin(request), request.getClientId(), request.getSequence(),
                CtrlCommand.newBuilder().setJoin(request), out);
    }

    @Override
    public void leave(LeaveRequest request, StreamObserver<ChangeReply> out) {
        change(ConfigChanges.checkLeave(request), request.getClientId(), request.getSequence(),
                CtrlCommand.newBuilder().setLeave(request), out);
    }

    @Override
    public void move(MoveRequest request, StreamObserver<ChangeReply> out) {
        change(ConfigChanges.checkMove(request, machine.shards()), request.getClientId(), request.getSequence(),
                CtrlCommand.newBuilder().setMove(request), out);
    }

    private void change(String invalid, long clientId, long sequence, CtrlCommand.Builder command,
            StreamObserver<ChangeReply> out) {
        if (invalid == null && (clientId == 0 || sequence == 0)) {
            invalid = "a change needs a non-zero client_id and sequence";
        }
        if (invalid != null) {
            send(out, ChangeReply.newBuilder().setCode(ErrorCode.INVALID_ARGUMENT).setMessage(invalid)
                    .setNodeId(nodeId).build());
            return;
        }
        byte[] entry = command.setClientId(clientId).setSequence(sequence).setTimestampMillis(clock.millis())
                .build().toByteArray();
        requests.propose(entry).whenCompleteAsync((bytes, error) -> {
            ChangeReply.Builder reply = ChangeReply.newBuilder().setNodeId(nodeId);
            if (error == null) {
                try {
                    CtrlCommandResult result = CtrlCommandResult.parseFrom(bytes);
                    reply.setCode(result.getCode()).setMessage(result.getMessage()).setNum(result.getNum());
                } catch (InvalidProtocolBufferException e) {
                    fail(out, e);
                    return;
                }
            } else if (!describe(error, reply::setCode, reply::setMessage, reply::setLeader)) {
                fail(out, error);
                return;
            }
            send(out, reply.build());
        }, executor);
    }

    @Override
    public void query(QueryRequest request, StreamObserver<QueryReply> out) {
        long num = request.getNum();
        requests.read(() -> machine.query(num), executor).whenCompleteAsync((config, error) -> {
            QueryReply.Builder reply = QueryReply.newBuilder().setNodeId(nodeId);
            if (error == null) {
                reply.setCode(ErrorCode.OK).setConfig(config);
            } else if (!describe(error, reply::setCode, reply::setMessage, reply::setLeader)) {
                fail(out, error);
                return;
            }
            send(out, reply.build());
        }, executor);
    }

    /**
     * Puts what a failed request means for the client (code, message, leader hint) into a reply through its
     * setters; false for an internal failure, which the caller answers UNAVAILABLE.
     */
    private boolean describe(Throwable error, Consumer<ErrorCode> code, Consumer<String> message,
            Consumer<LeaderHint> leader) {
        RaftRequests.Failure failure = requests.failure(error);
        if (failure == null) {
            return false;
        }
        code.accept(failure.code());
        message.accept(failure.message());
        if (failure.hint() != null) {
            leader.accept(failure.hint());
        }
        return true;
    }

    private static <T> void send(StreamObserver<T> out, T reply) {
        try {
            out.onNext(reply);
            out.onCompleted();
        } catch (RuntimeException e) {
            LOG.debug("could not answer a controller request (the client went away?): {}", e.toString());
        }
    }

    private <T> void fail(StreamObserver<T> out, Throwable error) {
        Throwable cause = RaftRequests.unwrap(error);
        LOG.warn("controller request failed: {}", cause.toString());
        try {
            out.onError(Status.UNAVAILABLE.withDescription("controller node " + nodeId + " cannot serve the request: "
                    + cause).asRuntimeException());
        } catch (RuntimeException e) {
            LOG.debug("could not answer a controller request (the client went away?): {}", e.toString());
        }
    }
}
