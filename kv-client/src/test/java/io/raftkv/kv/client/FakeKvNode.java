package io.raftkv.kv.client;

import com.google.protobuf.ByteString;
import io.grpc.stub.StreamObserver;
import io.raftkv.common.cli.HostPort;
import io.raftkv.common.grpc.GrpcServer;
import io.raftkv.proto.kv.AppendRequest;
import io.raftkv.proto.kv.DeleteRequest;
import io.raftkv.proto.service.ErrorCode;
import io.raftkv.proto.kv.GetReply;
import io.raftkv.proto.kv.GetRequest;
import io.raftkv.proto.kv.KvGrpc;
import io.raftkv.proto.service.LeaderHint;
import io.raftkv.proto.kv.PutRequest;
import io.raftkv.proto.kv.Role;
import io.raftkv.proto.kv.StatusReply;
import io.raftkv.proto.kv.StatusRequest;
import io.raftkv.proto.kv.WriteReply;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An in-process stand-in for one kv-server, on a real gRPC port: a leader that serves from a store shared by the
 * fake cluster (with the servers' duplicate detection), a follower that answers NOT_LEADER with a hint, a node that
 * answers TIMEOUT, or one that never answers. It records every request so tests can check what the Clerk sent.
 */
public final class FakeKvNode implements AutoCloseable {

    public enum Mode { LEADER, FOLLOWER, TIMEOUT, SILENT }

    /** A write as received: which node got it, and its identity. */
    public record Received(String node, String op, long clientId, long sequence, String key) {}

    /** The replicated state of the fake cluster: data and the duplicate table, shared by its nodes. */
    public static final class Store {
        private final Map<String, String> data = new HashMap<>();
        private final Map<Long, Long> lastSequence = new HashMap<>();
        private final Map<Long, ErrorCode> lastReply = new HashMap<>();
        public final Queue<Received> received = new ConcurrentLinkedQueue<>();
        public final AtomicInteger applied = new AtomicInteger();
        /** Writes applied but then answered TIMEOUT, as if the reply were lost. */
        public final AtomicInteger loseReplies = new AtomicInteger();
        /** Values longer than this are rejected as INVALID_ARGUMENT. */
        public volatile int maxValueLength = Integer.MAX_VALUE;

        synchronized ErrorCode write(String op, String key, String value, long clientId, long sequence) {
            Long last = lastSequence.get(clientId);
            if (last != null && sequence <= last) {
                return lastReply.get(clientId);
            }
            ErrorCode code = switch (op) {
                case "put" -> {
                    data.put(key, value);
                    yield ErrorCode.OK;
                }
                case "append" -> {
                    data.merge(key, value, String::concat);
                    yield ErrorCode.OK;
                }
                default -> data.remove(key) == null ? ErrorCode.NO_KEY : ErrorCode.OK;
            };
            lastSequence.put(clientId, sequence);
            lastReply.put(clientId, code);
            applied.incrementAndGet();
            return code;
        }

        public synchronized String get(String key) {
            return data.get(key);
        }
    }

    final String id;
    final String advertised;
    final Store store;
    final AtomicInteger calls = new AtomicInteger();
    final Set<Long> writesInFlight = ConcurrentHashMap.newKeySet();
    final Queue<String> violations = new ConcurrentLinkedQueue<>();
    private final Queue<StreamObserver<?>> unanswered = new ConcurrentLinkedQueue<>();
    private final GrpcServer server;

    public volatile Mode mode;
    volatile String hintId = "";
    volatile String hintAddress = "";

    public FakeKvNode(String id, String advertised, Mode mode, Store store) {
        this.id = id;
        this.advertised = advertised;
        this.mode = mode;
        this.store = store;
        this.server = GrpcServer.builder("127.0.0.1", 0).addService(new Service()).start();
    }

    public HostPort address() {
        return new HostPort("127.0.0.1", server.port());
    }

    public void follow(String leaderId, String leaderAddress) {
        mode = Mode.FOLLOWER;
        hintId = leaderId;
        hintAddress = leaderAddress;
    }

    @Override
    public void close() {
        server.close();
    }

    static List<HostPort> addresses(FakeKvNode... nodes) {
        return java.util.Arrays.stream(nodes).map(FakeKvNode::address).toList();
    }

    private final class Service extends KvGrpc.KvImplBase {
        @Override
        public void get(GetRequest request, StreamObserver<GetReply> out) {
            calls.incrementAndGet();
            GetReply.Builder reply = GetReply.newBuilder().setNodeId(id);
            switch (mode) {
                case SILENT -> {
                    unanswered.add(out);
                    return;
                }
                case FOLLOWER -> reply.setCode(ErrorCode.NOT_LEADER).setLeader(hint());
                case TIMEOUT -> reply.setCode(ErrorCode.TIMEOUT).setMessage("no quorum");
                case LEADER -> {
                    String value = store.get(request.getKey().toStringUtf8());
                    reply.setCode(value == null ? ErrorCode.NO_KEY : ErrorCode.OK);
                    if (value != null) {
                        reply.setValue(ByteString.copyFromUtf8(value));
                    }
                }
            }
            out.onNext(reply.build());
            out.onCompleted();
        }

        @Override
        public void put(PutRequest request, StreamObserver<WriteReply> out) {
            write("put", request.getKey(), request.getValue(), request.getClientId(), request.getSequence(), out);
        }

        @Override
        public void append(AppendRequest request, StreamObserver<WriteReply> out) {
            write("append", request.getKey(), request.getValue(), request.getClientId(), request.getSequence(), out);
        }

        @Override
        public void delete(DeleteRequest request, StreamObserver<WriteReply> out) {
            write("delete", request.getKey(), ByteString.EMPTY, request.getClientId(), request.getSequence(), out);
        }

        private void write(String op, ByteString key, ByteString value, long clientId, long sequence,
                StreamObserver<WriteReply> out) {
            calls.incrementAndGet();
            store.received.add(new Received(id, op, clientId, sequence, key.toStringUtf8()));
            WriteReply.Builder reply = WriteReply.newBuilder().setNodeId(id);
            switch (mode) {
                case SILENT -> {
                    unanswered.add(out);
                    return;
                }
                case FOLLOWER -> reply.setCode(ErrorCode.NOT_LEADER).setLeader(hint());
                case TIMEOUT -> reply.setCode(ErrorCode.TIMEOUT).setMessage("no quorum");
                case LEADER -> {
                    if (!writesInFlight.add(clientId)) {
                        violations.add("two writes of client " + clientId + " in flight at once");
                    }
                    try {
                        Thread.sleep(1); // widen the window in which a second write of the client would overlap
                        if (value.size() > store.maxValueLength) {
                            reply.setCode(ErrorCode.INVALID_ARGUMENT).setMessage("the value is " + value.size()
                                    + " bytes; the limit is " + store.maxValueLength);
                        } else {
                            ErrorCode code = store.write(op, key.toStringUtf8(), value.toStringUtf8(), clientId,
                                    sequence);
                            if (store.loseReplies.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                                reply.setCode(ErrorCode.TIMEOUT).setMessage("reply lost");
                            } else {
                                reply.setCode(code);
                            }
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } finally {
                        writesInFlight.remove(clientId);
                    }
                }
            }
            out.onNext(reply.build());
            out.onCompleted();
        }

        @Override
        public void status(StatusRequest request, StreamObserver<StatusReply> out) {
            calls.incrementAndGet();
            if (mode == Mode.SILENT) {
                unanswered.add(out);
                return;
            }
            boolean leading = mode == Mode.LEADER;
            out.onNext(StatusReply.newBuilder()
                    .setNodeId(id)
                    .setAddress(advertised)
                    .setRole(leading ? Role.LEADER : Role.FOLLOWER)
                    .setTerm(3)
                    .setLeaderId(leading ? id : hintId)
                    .setLeaderAddress(leading ? advertised : hintAddress)
                    .setCommitIndex(17)
                    .setAppliedIndex(16)
                    .setLastIndex(17)
                    .setLastContactMillisAgo(leading ? 0 : 12)
                    .build());
            out.onCompleted();
        }

        private LeaderHint hint() {
            return LeaderHint.newBuilder().setLeaderId(hintId).setLeaderAddress(hintAddress).build();
        }
    }
}
