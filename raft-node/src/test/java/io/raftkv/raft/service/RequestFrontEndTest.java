package io.raftkv.raft.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raftkv.proto.kv.GetReply;
import io.raftkv.proto.kv.KvCommandResult;
import io.raftkv.proto.kv.WriteReply;
import io.raftkv.proto.service.ErrorCode;
import io.raftkv.raft.api.NodeStatus;
import io.raftkv.raft.api.NotLeaderException;
import io.raftkv.raft.api.Proposal;
import io.raftkv.raft.api.RaftService;
import io.raftkv.raft.core.EntryId;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** The one request path of the replicated services: what each outcome of Raft becomes in the reply and the metrics. */
class RequestFrontEndTest {
    private static final ReplyForm<WriteReply.Builder, WriteReply> WRITE = new ReplyForm<>(WriteReply::newBuilder,
            WriteReply.Builder::setCode, WriteReply.Builder::setMessage, WriteReply.Builder::setLeader,
            WriteReply.Builder::setNodeId, WriteReply.Builder::getCode, WriteReply.Builder::build);
    private static final ReplyForm<GetReply.Builder, GetReply> GET = new ReplyForm<>(GetReply::newBuilder,
            GetReply.Builder::setCode, GetReply.Builder::setMessage, GetReply.Builder::setLeader,
            GetReply.Builder::setNodeId, GetReply.Builder::getCode, GetReply.Builder::build);

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final ScriptedRaft raft = new ScriptedRaft();
    private final RequestFrontEnd front = new RequestFrontEnd(raft, Duration.ofSeconds(5), "node", "n1", Runnable::run,
            new RequestMetrics(registry, "test.requests", "requests of the test"));

    @Test
    void anAppliedProposalIsDecodedIntoTheReplyWithTheNodeIdAndCounted() {
        raft.propose = () -> CompletableFuture.completedFuture(new Proposal(new EntryId(2, 7),
                CompletableFuture.completedFuture(
                        KvCommandResult.newBuilder().setCode(ErrorCode.OK).setConfigNum(3).build().toByteArray())));
        Answer<WriteReply> out = new Answer<>();
        front.propose(out, "put", System.nanoTime(), WRITE, new byte[] {1}, (applied, reply) -> {
            KvCommandResult result = KvCommandResult.parseFrom(applied);
            reply.setCode(result.getCode()).setConfigNum(result.getConfigNum());
        });
        assertEquals(ErrorCode.OK, out.reply.getCode());
        assertEquals(3, out.reply.getConfigNum());
        assertEquals("n1", out.reply.getNodeId());
        assertEquals(1, count("put", "ok"));
    }

    @Test
    void aFollowerAnswersNotLeaderWithTheLeadersAddress() {
        raft.propose = () -> CompletableFuture.failedFuture(new NotLeaderException("n2", "10.0.0.2:7002"));
        Answer<WriteReply> out = new Answer<>();
        front.propose(out, "put", System.nanoTime(), WRITE, new byte[] {1}, (applied, reply) -> { });
        assertEquals(ErrorCode.NOT_LEADER, out.reply.getCode());
        assertEquals("n2", out.reply.getLeader().getLeaderId());
        assertEquals("10.0.0.2:7002", out.reply.getLeader().getLeaderAddress());
        assertEquals(1, count("put", "not_leader"));
    }

    @Test
    void aReplyThatCannotBeDecodedIsAnsweredUnavailableNamingTheNode() {
        raft.propose = () -> CompletableFuture.completedFuture(new Proposal(new EntryId(2, 7),
                CompletableFuture.completedFuture(new byte[] {(byte) 0xff, (byte) 0xff})));
        Answer<WriteReply> out = new Answer<>();
        front.propose(out, "put", System.nanoTime(), WRITE, new byte[] {1},
                (applied, reply) -> KvCommandResult.parseFrom(applied));
        assertNull(out.reply);
        StatusRuntimeException error = assertInstanceOf(StatusRuntimeException.class, out.error);
        assertEquals(Status.Code.UNAVAILABLE, error.getStatus().getCode());
        assertTrue(error.getStatus().getDescription().startsWith("node n1 cannot serve the request"),
                error.getStatus().getDescription());
        assertEquals(1, count("put", "error"));
    }

    @Test
    void aReadRunsAfterTheBarrierAndARefusalNeverReachesRaft() {
        raft.barrier = () -> CompletableFuture.completedFuture(null);
        Answer<GetReply> read = new Answer<>();
        front.read(read, "get", System.nanoTime(), GET, () -> "v",
                (reply, value) -> reply.setCode(ErrorCode.OK).setValue(ByteString.copyFromUtf8(value)));
        assertEquals("v", read.reply.getValue().toStringUtf8());
        assertEquals("n1", read.reply.getNodeId());

        raft.barrier = () -> {
            throw new AssertionError("a refusal must not ask Raft");
        };
        Answer<GetReply> refused = new Answer<>();
        front.refuse(refused, "get", System.nanoTime(), GET, ErrorCode.INVALID_ARGUMENT, "the key is empty",
                reply -> reply.setConfigNum(9));
        assertEquals(ErrorCode.INVALID_ARGUMENT, refused.reply.getCode());
        assertEquals("the key is empty", refused.reply.getMessage());
        assertEquals(9, refused.reply.getConfigNum());
        assertEquals(1, count("get", "ok"));
        assertEquals(1, count("get", "invalid_argument"));
    }

    private long count(String op, String result) {
        var timer = registry.find("test.requests").tag("op", op).tag("result", result).timer();
        assertNotNull(timer, "no timer for " + op + "/" + result);
        return timer.count();
    }

    /** What the service sent: one reply or one error. */
    private static final class Answer<R> implements StreamObserver<R> {
        R reply;
        Throwable error;

        @Override
        public void onNext(R value) {
            reply = value;
        }

        @Override
        public void onError(Throwable t) {
            error = t;
        }

        @Override
        public void onCompleted() {
        }
    }

    /** A Raft whose answers each test sets. */
    private static final class ScriptedRaft implements RaftService {
        Supplier<CompletableFuture<Proposal>> propose;
        Supplier<CompletableFuture<Void>> barrier;

        @Override
        public CompletableFuture<Proposal> propose(byte[] command) {
            return propose.get();
        }

        @Override
        public CompletableFuture<Void> readBarrier() {
            return barrier.get();
        }

        @Override
        public NodeStatus status() {
            throw new UnsupportedOperationException("not used by these tests");
        }

        @Override
        public CompletableFuture<Void> transferLeadership(String peerId) {
            return CompletableFuture.failedFuture(new UnsupportedOperationException("not used by these tests"));
        }
    }
}
