package io.raftkv.raft.service;

import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.raftkv.proto.service.ErrorCode;
import io.raftkv.raft.api.RaftService;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The request path every gRPC service over a Raft group shares, written once: the service validates and decodes,
 * this class proposes or reads through {@link RaftRequests}, maps Raft's failures to the reply's code, message and
 * leader hint, stamps the answering node's id, records the request in {@link RequestMetrics} and sends the reply.
 *
 * <p>A failure that means nothing to the client (a storage error, a reply that cannot be decoded) is answered with
 * gRPC status UNAVAILABLE naming this node, and logged. Nothing here blocks a gRPC thread: replies are built and sent
 * on {@code executor}. Call {@link #propose} and {@link #read} on the gRPC thread that received the request: that is
 * where the client's deadline is known.
 */
public final class RequestFrontEnd {
    private static final Logger LOG = LoggerFactory.getLogger(RequestFrontEnd.class);

    private final RaftRequests requests;
    private final String nodeId;
    private final String node;
    private final Executor executor;
    private final RequestMetrics metrics;

    /** Decodes the state machine's reply to a proposal into the reply's builder. */
    @FunctionalInterface
    public interface Decoder<B> {
        void decode(byte[] stateMachineReply, B reply) throws InvalidProtocolBufferException;
    }

    /**
     * @param role what the node is, for failure messages: "node" or "controller node"
     * @param requestTimeout how long a request may wait for Raft before it is answered TIMEOUT
     * @param executor where replies are built and sent (never a Raft thread)
     */
    public RequestFrontEnd(RaftService raft, Duration requestTimeout, String role, String nodeId, Executor executor,
            RequestMetrics metrics) {
        this.requests = new RaftRequests(raft, requestTimeout);
        this.nodeId = nodeId;
        this.node = role + " " + nodeId;
        this.executor = executor;
        this.metrics = metrics;
    }

    /** Answers at once, without Raft: a refusal such as INVALID_ARGUMENT or WRONG_GROUP, with what {@code fill} adds. */
    public <B, R> void refuse(StreamObserver<R> out, String op, long startNanos, ReplyForm<B, R> form, ErrorCode code,
            String message, Consumer<B> fill) {
        B reply = form.newBuilder().get();
        form.code().accept(reply, code);
        form.message().accept(reply, message);
        fill.accept(reply);
        send(out, op, startNanos, form, reply);
    }

    /** Proposes {@code command} and answers with what {@code decode} makes of the state machine's reply. */
    public <B, R> void propose(StreamObserver<R> out, String op, long startNanos, ReplyForm<B, R> form,
            byte[] command, Decoder<B> decode) {
        requests.propose(command).whenCompleteAsync((applied, error) -> {
            B reply = form.newBuilder().get();
            if (error == null) {
                try {
                    decode.decode(applied, reply);
                } catch (InvalidProtocolBufferException e) {
                    fail(out, op, startNanos, e);
                    return;
                }
            } else if (!describe(error, form, reply)) {
                fail(out, op, startNanos, error);
                return;
            }
            send(out, op, startNanos, form, reply);
        }, executor);
    }

    /** Waits for a read barrier, runs {@code read} and answers with what {@code fill} makes of its result. */
    public <T, B, R> void read(StreamObserver<R> out, String op, long startNanos, ReplyForm<B, R> form,
            Supplier<T> read, BiConsumer<B, T> fill) {
        requests.read(read, executor).whenCompleteAsync((value, error) -> {
            B reply = form.newBuilder().get();
            if (error == null) {
                fill.accept(reply, value);
            } else if (!describe(error, form, reply)) {
                fail(out, op, startNanos, error);
                return;
            }
            send(out, op, startNanos, form, reply);
        }, executor);
    }

    /**
     * Answers from this node's own state, without Raft (status, a shard chunk): {@code answer} runs on the executor
     * and returns the reply; a failure is answered UNAVAILABLE.
     */
    public <R> void local(StreamObserver<R> out, String op, long startNanos, Supplier<R> answer,
            Function<R, ErrorCode> codeOf) {
        CompletableFuture.supplyAsync(answer, executor).whenComplete((reply, error) -> {
            if (error != null) {
                fail(out, op, startNanos, error);
                return;
            }
            deliver(out, op, codeOf.apply(reply).name(), startNanos, reply);
        });
    }

    /** This node's id, as replies carry it. */
    public String nodeId() {
        return nodeId;
    }

    /** Puts what a failed request means for the client into the reply; false for an internal failure. */
    private <B, R> boolean describe(Throwable error, ReplyForm<B, R> form, B reply) {
        RaftRequests.Failure failure = requests.failure(error);
        if (failure == null) {
            return false;
        }
        form.code().accept(reply, failure.code());
        form.message().accept(reply, failure.message());
        if (failure.hint() != null) {
            form.leader().accept(reply, failure.hint());
        }
        return true;
    }

    private <B, R> void send(StreamObserver<R> out, String op, long startNanos, ReplyForm<B, R> form, B reply) {
        form.nodeId().accept(reply, nodeId);
        deliver(out, op, form.codeOf().apply(reply).name(), startNanos, form.build().apply(reply));
    }

    private <R> void deliver(StreamObserver<R> out, String op, String result, long startNanos, R reply) {
        metrics.record(op, result, startNanos); // before the reply, so that a client that has it sees it counted
        try {
            out.onNext(reply);
            out.onCompleted();
        } catch (RuntimeException e) {
            LOG.debug("could not answer a {} request (the client went away?): {}", op, e.toString());
        }
    }

    private <R> void fail(StreamObserver<R> out, String op, long startNanos, Throwable error) {
        Throwable cause = RaftRequests.unwrap(error);
        LOG.warn("{} request failed: {}", op, cause.toString());
        metrics.record(op, "error", startNanos);
        try {
            out.onError(Status.UNAVAILABLE.withDescription(node + " cannot serve the request: " + cause)
                    .asRuntimeException());
        } catch (RuntimeException e) {
            LOG.debug("could not answer a {} request (the client went away?): {}", op, e.toString());
        }
    }
}
