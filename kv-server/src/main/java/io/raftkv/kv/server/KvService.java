package io.raftkv.kv.server;

import com.google.protobuf.ByteString;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.MeterRegistry;
import io.raftkv.kv.state.KvReader;
import io.raftkv.proto.kv.AppendRequest;
import io.raftkv.proto.kv.DeleteRequest;
import io.raftkv.proto.kv.GetReply;
import io.raftkv.proto.kv.GetRequest;
import io.raftkv.proto.kv.KvCommand;
import io.raftkv.proto.kv.KvCommandResult;
import io.raftkv.proto.kv.KvGrpc;
import io.raftkv.proto.kv.PutRequest;
import io.raftkv.proto.kv.Role;
import io.raftkv.proto.kv.StatusReply;
import io.raftkv.proto.kv.StatusRequest;
import io.raftkv.proto.kv.WriteReply;
import io.raftkv.proto.service.ErrorCode;
import io.raftkv.proto.service.RequestHeader;
import io.raftkv.raft.api.NodeStatus;
import io.raftkv.raft.api.RaftService;
import io.raftkv.raft.service.ReplyForm;
import io.raftkv.raft.service.RequestFrontEnd;
import io.raftkv.raft.service.RequestMetrics;
import io.raftkv.raft.service.SessionTable;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executor;

/**
 * The gRPC Kv service of one node, over its {@link RaftService}.
 *
 * <ul>
 *   <li>Writes are proposed as {@link KvCommand}s (stamped with this node's clock, the log's clock for session
 *       expiry) and answered with the state machine's reply once this node applies them. The handler waits for its
 *       own (index, term) through the {@link Proposal} future: if another entry lands there or the term moves on, it
 *       answers NOT_LEADER and the client retries, with the same client id and sequence, elsewhere.
 *   <li>Get waits for a ReadIndex barrier, then reads the local state: linearizable, without a log write.
 *   <li>On a replica group of the sharded store ({@link KvBackend}), a key whose shard this group does not serve is
 *       answered WRONG_GROUP with the group's configuration number, before Raft when the leader knows it already, and
 *       otherwise by the state machine when the write applies.
 *   <li>Status reports this node's view of the cluster; any node answers it.
 * </ul>
 *
 * The request path itself (propose or read, failures to codes, metrics, the reply) is {@link RequestFrontEnd}'s:
 * nothing blocks a gRPC thread, and a request that does not finish within {@code requestTimeout} (or the client's
 * deadline, if sooner) is answered TIMEOUT.
 */
public final class KvService extends KvGrpc.KvImplBase {
    /** The request timer: tagged by op (get/put/append/delete/status) and result. */
    static final String METRIC = "kv.requests";
    private static final ReplyForm<GetReply.Builder, GetReply> GET = new ReplyForm<>(GetReply::newBuilder,
            GetReply.Builder::setCode, GetReply.Builder::setMessage, GetReply.Builder::setLeader,
            GetReply.Builder::setNodeId, GetReply.Builder::getCode, GetReply.Builder::build);
    private static final ReplyForm<WriteReply.Builder, WriteReply> WRITE = new ReplyForm<>(WriteReply::newBuilder,
            WriteReply.Builder::setCode, WriteReply.Builder::setMessage, WriteReply.Builder::setLeader,
            WriteReply.Builder::setNodeId, WriteReply.Builder::getCode, WriteReply.Builder::build);

    private final RaftService raft;
    private final RequestFrontEnd front;
    private final KvBackend backend;
    private final NodeIdentity self;
    private final KvLimits limits;
    private final Clock clock;

    /**
     * @param reader the local state machine, read after a read barrier
     * @param requestTimeout how long a request may wait for Raft before it is answered TIMEOUT
     * @param clock the wall clock stamped on proposed writes
     * @param executor where replies are built and sent (never a Raft thread)
     */
    public KvService(RaftService raft, KvReader reader, NodeIdentity self, KvLimits limits, Duration requestTimeout,
            Clock clock, Executor executor, MeterRegistry registry) {
        this(raft, KvBackend.plain(reader), self, limits, requestTimeout, clock, executor, registry);
    }

    /** A service over any backend: the unsharded store or one replica group of the sharded store. */
    public KvService(RaftService raft, KvBackend backend, NodeIdentity self, KvLimits limits, Duration requestTimeout,
            Clock clock, Executor executor, MeterRegistry registry) {
        this.raft = raft;
        this.front = new RequestFrontEnd(raft, requestTimeout, "node", self.id(), executor,
                new RequestMetrics(registry, METRIC, "Kv service requests by operation and result"));
        this.backend = backend;
        this.self = self;
        this.limits = limits;
        this.clock = clock;
    }

    @Override
    public void get(GetRequest request, StreamObserver<GetReply> out) {
        long start = System.nanoTime();
        String invalid = limits.checkKey(request.getKey());
        if (invalid != null) {
            front.refuse(out, "get", start, GET, ErrorCode.INVALID_ARGUMENT, invalid, reply -> { });
            return;
        }
        byte[] key = request.getKey().toByteArray();
        long refusal = quickRefusal(key);
        if (refusal >= 0) {
            front.refuse(out, "get", start, GET, ErrorCode.WRONG_GROUP, wrongGroup(refusal),
                    reply -> reply.setConfigNum(refusal));
            return;
        }
        front.read(out, "get", start, GET, () -> backend.read(key), (reply, read) -> {
            reply.setConfigNum(read.configNum());
            if (!read.served()) {
                reply.setCode(ErrorCode.WRONG_GROUP).setMessage(wrongGroup(read.configNum()));
            } else if (read.value() == null) {
                reply.setCode(ErrorCode.NO_KEY);
            } else {
                reply.setCode(ErrorCode.OK).setValue(ByteString.copyFrom(read.value()));
            }
        });
    }

    @Override
    public void put(PutRequest request, StreamObserver<WriteReply> out) {
        write("put", KvCommand.Op.PUT, request.getKey(), request.getValue(), request.getClientId(),
                request.getSequence(), out);
    }

    @Override
    public void append(AppendRequest request, StreamObserver<WriteReply> out) {
        write("append", KvCommand.Op.APPEND, request.getKey(), request.getValue(), request.getClientId(),
                request.getSequence(), out);
    }

    @Override
    public void delete(DeleteRequest request, StreamObserver<WriteReply> out) {
        write("delete", KvCommand.Op.DELETE, request.getKey(), ByteString.EMPTY, request.getClientId(),
                request.getSequence(), out);
    }

    private void write(String op, KvCommand.Op kind, ByteString key, ByteString value, long clientId, long sequence,
            StreamObserver<WriteReply> out) {
        long start = System.nanoTime();
        String invalid = limits.checkKey(key);
        if (invalid == null) {
            invalid = limits.checkValue(value);
        }
        if (invalid == null && !SessionTable.identifies(clientId, sequence)) {
            invalid = "a write needs a non-zero client_id and sequence";
        }
        if (invalid != null) {
            front.refuse(out, op, start, WRITE, ErrorCode.INVALID_ARGUMENT, invalid, reply -> { });
            return;
        }
        long refusal = quickRefusal(key.toByteArray());
        if (refusal >= 0) {
            front.refuse(out, op, start, WRITE, ErrorCode.WRONG_GROUP, wrongGroup(refusal),
                    reply -> reply.setConfigNum(refusal));
            return;
        }
        byte[] command = backend.proposal(KvCommand.newBuilder()
                .setHeader(RequestHeader.newBuilder().setClientId(clientId).setSequence(sequence)
                        .setTimestampMillis(clock.millis()))
                .setOp(kind)
                .setKey(key)
                .setValue(value)
                .build());
        front.propose(out, op, start, WRITE, command, (applied, reply) -> {
            KvCommandResult result = KvCommandResult.parseFrom(applied);
            reply.setCode(result.getCode()).setMessage(result.getMessage()).setConfigNum(result.getConfigNum());
        });
    }

    /** This node's view of the cluster; any node answers it, from its own state. */
    @Override
    public void status(StatusRequest request, StreamObserver<StatusReply> out) {
        front.local(out, "status", System.nanoTime(), this::status, reply -> ErrorCode.OK);
    }

    private StatusReply status() {
        NodeStatus status = raft.status();
        StatusReply.Builder reply = StatusReply.newBuilder();
        backend.describe(reply);
        return reply
                .setNodeId(status.id() == null || status.id().isEmpty() ? self.id() : status.id())
                .setAddress(self.address())
                .setRole(Role.valueOf(status.role().name()))
                .setTerm(status.term())
                .setLeaderId(nullToEmpty(status.leaderId()))
                .setLeaderAddress(nullToEmpty(status.leaderAddress()))
                .setCommitIndex(status.commitIndex())
                .setAppliedIndex(status.appliedIndex())
                .setLastIndex(status.lastIndex())
                .setLastContactMillisAgo(status.lastContactMillisAgo())
                .build();
    }

    /**
     * The configuration number to answer WRONG_GROUP with before asking Raft, or -1. Only the leader refuses early: a
     * follower's view may lag, and a client that took its WRONG_GROUP for an answer would keep asking it; a follower
     * lets Raft answer NOT_LEADER, which sends the client to the leader.
     */
    private long quickRefusal(byte[] key) {
        long refusal = backend.refusal(key);
        if (refusal < 0) {
            return -1;
        }
        try {
            return raft.status().role() == io.raftkv.raft.core.Role.LEADER ? refusal : -1;
        } catch (RuntimeException e) {
            return -1; // the node is stopping: Raft will say so
        }
    }

    private String wrongGroup(long configNum) {
        return "node " + self.id() + " does not serve this key's shard in configuration " + configNum
                + ": refresh the configuration and ask the group it names";
    }

    private static String nullToEmpty(String text) {
        return text == null ? "" : text;
    }
}
