package io.raftkv.kv.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raftkv.common.grpc.GrpcServer;
import io.raftkv.kv.plain.PlainKvRules;
import io.raftkv.kv.state.KvStateMachine;
import io.raftkv.proto.kv.AppendRequest;
import io.raftkv.proto.kv.DeleteRequest;
import io.raftkv.proto.kv.GetReply;
import io.raftkv.proto.kv.GetRequest;
import io.raftkv.proto.kv.KvGrpc;
import io.raftkv.proto.kv.PutRequest;
import io.raftkv.proto.kv.Role;
import io.raftkv.proto.kv.StatusReply;
import io.raftkv.proto.kv.StatusRequest;
import io.raftkv.proto.kv.WriteReply;
import io.raftkv.proto.service.ErrorCode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Kv service over gRPC, on a one-node stand-in for Raft and a real state machine. */
class KvServiceTest {
    private static final Duration REQUEST_TIMEOUT = Duration.ofMillis(500);

    @TempDir
    Path dir;

    private KvStateMachine machine;
    private SingleNodeRaft raft;
    private ExecutorService executor;
    private SimpleMeterRegistry registry;
    private GrpcServer server;
    private ManagedChannel channel;
    private KvGrpc.KvBlockingStub kv;

    @BeforeEach
    void start() throws Exception {
        machine = PlainKvRules.openState(dir, KvStateMachine.DEFAULT_SESSION_TTL);
        raft = new SingleNodeRaft(machine, "n1", "127.0.0.1:7001");
        executor = Executors.newCachedThreadPool();
        registry = new SimpleMeterRegistry();
        KvService service = new KvService(raft, machine, new NodeIdentity("n1", "127.0.0.1:7001"), KvLimits.DEFAULT,
                REQUEST_TIMEOUT, Clock.systemUTC(), executor, registry);
        server = GrpcServer.builder("127.0.0.1", 0).addService(service).start();
        channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
        kv = KvGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.close();
        raft.close();
        executor.shutdownNow();
        machine.close();
    }

    private static ByteString text(String value) {
        return ByteString.copyFrom(value, StandardCharsets.UTF_8);
    }

    private WriteReply put(String key, String value, long client, long seq) {
        return kv.put(PutRequest.newBuilder().setKey(text(key)).setValue(text(value)).setClientId(client)
                .setSequence(seq).build());
    }

    private WriteReply append(String key, String value, long client, long seq) {
        return kv.append(AppendRequest.newBuilder().setKey(text(key)).setValue(text(value)).setClientId(client)
                .setSequence(seq).build());
    }

    private GetReply get(String key) {
        return kv.get(GetRequest.newBuilder().setKey(text(key)).build());
    }

    @Test
    void writesAndReadsGoThroughRaftAndTheStateMachine() {
        assertEquals(ErrorCode.NO_KEY, get("k").getCode());
        WriteReply put = put("k", "a", 1, 1);
        assertEquals(ErrorCode.OK, put.getCode());
        assertEquals("n1", put.getNodeId());
        assertEquals(ErrorCode.OK, append("k", "b", 1, 2).getCode());
        GetReply got = get("k");
        assertEquals(ErrorCode.OK, got.getCode());
        assertEquals("ab", got.getValue().toStringUtf8());
        assertEquals("n1", got.getNodeId());
        DeleteRequest delete = DeleteRequest.newBuilder().setKey(text("k")).setClientId(1).setSequence(3).build();
        assertEquals(ErrorCode.OK, kv.delete(delete).getCode());
        assertEquals(ErrorCode.NO_KEY, get("k").getCode());
        assertEquals(ErrorCode.NO_KEY, kv.delete(delete.toBuilder().setSequence(4).build()).getCode());
        assertEquals(4, machine.appliedIndex());
    }

    @Test
    void aRetriedWriteIsAppliedOnce() {
        assertEquals(ErrorCode.OK, append("k", "x", 5, 1).getCode());
        assertEquals(ErrorCode.OK, append("k", "x", 5, 1).getCode());
        assertEquals("x", get("k").getValue().toStringUtf8());
    }

    @Test
    void aWriteAppliedButLostIsAnsweredNotLeaderAndItsRetryIsNotAppliedAgain() {
        raft.loseAfterApplying.set(1);
        WriteReply lost = append("k", "x", 5, 1);
        assertEquals(ErrorCode.NOT_LEADER, lost.getCode());
        assertEquals("n1", lost.getLeader().getLeaderId(), "the hint names the current leader");
        assertEquals("127.0.0.1:7001", lost.getLeader().getLeaderAddress());
        assertTrue(lost.getMessage().contains("same sequence"), lost.getMessage());
        assertEquals(ErrorCode.OK, append("k", "x", 5, 1).getCode());
        assertEquals("x", get("k").getValue().toStringUtf8());
    }

    @Test
    void aCommandThatLandsInTheLogTwiceIsAppliedOnce() {
        raft.applyTwice = true;
        assertEquals(ErrorCode.OK, append("k", "x", 5, 1).getCode());
        assertEquals(ErrorCode.OK, append("k", "y", 5, 2).getCode());
        assertEquals("xy", get("k").getValue().toStringUtf8());
        assertEquals(4, machine.appliedIndex());
    }

    @Test
    void aFollowerAnswersNotLeaderWithTheLeadersIdAndAddress() {
        raft.leader = false;
        raft.hintId = "n2";
        raft.hintAddress = "kv2:7001";
        for (ErrorCode code : new ErrorCode[] {put("k", "v", 1, 1).getCode(), get("k").getCode()}) {
            assertEquals(ErrorCode.NOT_LEADER, code);
        }
        WriteReply reply = put("k", "v", 1, 1);
        assertEquals("n2", reply.getLeader().getLeaderId());
        assertEquals("kv2:7001", reply.getLeader().getLeaderAddress());
        assertEquals("n1", reply.getNodeId());
        GetReply read = get("k");
        assertEquals("n2", read.getLeader().getLeaderId());
        assertEquals("kv2:7001", read.getLeader().getLeaderAddress());

        raft.hintId = "";
        raft.hintAddress = "";
        WriteReply unknown = put("k", "v", 1, 1);
        assertEquals(ErrorCode.NOT_LEADER, unknown.getCode());
        assertEquals("", unknown.getLeader().getLeaderId());
    }

    @Test
    void requestsThatRaftDoesNotFinishInTimeAreAnsweredTimeout() {
        raft.stall = true;
        WriteReply write = put("k", "v", 1, 1);
        assertEquals(ErrorCode.TIMEOUT, write.getCode());
        assertTrue(write.getMessage().contains("may still be applied"), write.getMessage());
        assertEquals(ErrorCode.TIMEOUT, get("k").getCode());
    }

    @Test
    void aClientDeadlineShorterThanTheServerTimeoutStillGetsATimeoutAnswer() throws Exception {
        server.close();
        KvService patient = new KvService(raft, machine, new NodeIdentity("n1", "127.0.0.1:7001"), KvLimits.DEFAULT,
                Duration.ofMinutes(1), Clock.systemUTC(), executor, registry);
        server = GrpcServer.builder("127.0.0.1", 0).addService(patient).start();
        channel.shutdownNow();
        channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
        raft.stall = true;
        WriteReply reply = KvGrpc.newBlockingStub(channel).withDeadlineAfter(1, TimeUnit.SECONDS)
                .put(PutRequest.newBuilder().setKey(text("k")).setValue(text("v")).setClientId(1).setSequence(1)
                        .build());
        assertEquals(ErrorCode.TIMEOUT, reply.getCode());
    }

    @Test
    void requestsOverTheLimitsAreRejectedWithAReason() {
        String maxKey = "k".repeat(KvLimits.DEFAULT.maxKeyBytes());
        String maxValue = "v".repeat(KvLimits.DEFAULT.maxValueBytes());
        assertEquals(ErrorCode.OK, put(maxKey, maxValue, 1, 1).getCode());
        assertEquals(maxValue, get(maxKey).getValue().toStringUtf8());

        WriteReply emptyKey = put("", "v", 1, 2);
        assertEquals(ErrorCode.INVALID_ARGUMENT, emptyKey.getCode());
        assertEquals("the key is empty", emptyKey.getMessage());
        WriteReply longKey = put(maxKey + "k", "v", 1, 3);
        assertEquals(ErrorCode.INVALID_ARGUMENT, longKey.getCode());
        assertEquals("the key is 4097 bytes; the limit is 4096", longKey.getMessage());
        WriteReply bigValue = append("k", maxValue + "v", 1, 4);
        assertEquals(ErrorCode.INVALID_ARGUMENT, bigValue.getCode());
        assertEquals("the value is 1048577 bytes; the limit is 1048576", bigValue.getMessage());
        GetReply badGet = get("");
        assertEquals(ErrorCode.INVALID_ARGUMENT, badGet.getCode());
        assertEquals("the key is empty", badGet.getMessage());
        WriteReply noSession = put("k", "v", 0, 0);
        assertEquals(ErrorCode.INVALID_ARGUMENT, noSession.getCode());
        assertTrue(noSession.getMessage().contains("client_id"), noSession.getMessage());
        assertEquals(1, machine.appliedIndex(), "nothing invalid reached the log");
    }

    @Test
    void statusReportsTheNodesView() {
        put("k", "v", 1, 1);
        StatusReply status = kv.status(StatusRequest.getDefaultInstance());
        assertEquals("n1", status.getNodeId());
        assertEquals("127.0.0.1:7001", status.getAddress());
        assertEquals(Role.LEADER, status.getRole());
        assertEquals(1, status.getTerm());
        assertEquals("n1", status.getLeaderId());
        assertEquals(1, status.getCommitIndex());
        assertEquals(1, status.getAppliedIndex());
        assertEquals(1, status.getLastIndex());
        assertEquals(0, status.getLastContactMillisAgo());

        raft.leader = false;
        raft.hintId = "n2";
        raft.hintAddress = "kv2:7001";
        StatusReply follower = kv.status(StatusRequest.getDefaultInstance());
        assertEquals(Role.FOLLOWER, follower.getRole());
        assertEquals("n2", follower.getLeaderId());
        assertEquals("kv2:7001", follower.getLeaderAddress());
        assertEquals(42, follower.getLastContactMillisAgo());
    }

    @Test
    void countsRequestsByOperationAndResult() {
        put("k", "v", 1, 1);
        put("k", "v", 1, 2);
        get("k");
        get("missing");
        put("", "v", 1, 3);
        kv.status(StatusRequest.getDefaultInstance());
        assertEquals(2, timer("put", "ok").count());
        assertEquals(1, timer("put", "invalid_argument").count());
        assertEquals(1, timer("get", "ok").count());
        assertEquals(1, timer("get", "no_key").count());
        assertEquals(1, timer("status", "ok").count());
        assertTrue(timer("put", "ok").totalTime(TimeUnit.NANOSECONDS) > 0);
    }

    private Timer timer(String op, String result) {
        Timer timer = registry.find("kv.requests").tags("op", op, "result", result).timer();
        assertTrue(timer != null, "no kv.requests timer for " + op + "/" + result);
        return timer;
    }
}
