package io.raftkv.kv.server.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.raftkv.common.cli.HostPort;
import io.raftkv.common.client.Answer;
import io.raftkv.common.client.ClientOptions;
import io.raftkv.common.client.LeaderSeekingClient;
import io.raftkv.common.client.SessionPool;
import io.raftkv.proto.kv.GetReply;
import io.raftkv.proto.kv.KvGrpc;
import io.raftkv.proto.service.ErrorCode;
import io.raftkv.proto.service.LeaderHint;
import io.raftkv.raft.sim.Scheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The simulated clerk retries exactly as the real client does: the same scripted answers, given to a
 * {@link LeaderSeekingClient} over stubs that never connect and to a {@link SimClerk} on the simulated network,
 * make both try the same nodes in the same order.
 */
class ClerkPolicyParityTest {
    private static final ClientOptions OPTIONS = ClientOptions.DEFAULT.withAttemptTimeout(Duration.ofMillis(100))
            .withBackoff(Duration.ofMillis(5), Duration.ofMillis(20));

    /** What one node answers to one attempt. */
    private sealed interface Reply {
        record NotLeader(int hinted) implements Reply {} // -1: no hint

        record Timeout() implements Reply {} // the node answers TIMEOUT

        record Unavailable() implements Reply {} // the call fails at the transport

        record NoAnswer() implements Reply {} // the attempt runs out of time

        record Ok() implements Reply {}
    }

    /** Every kind of answer, including a hint naming the node that gave it and a whole round that fails. */
    private static final List<Reply> SCRIPT = List.of(new Reply.NotLeader(2), new Reply.Timeout(),
            new Reply.Unavailable(), new Reply.NotLeader(-1), new Reply.NotLeader(2), new Reply.NoAnswer(),
            new Reply.NotLeader(1), new Reply.Ok());
    /** Where each attempt goes: a hint, else the next node; after a failed round, where that round began. */
    private static final List<Integer> EXPECTED = List.of(0, 2, 0, 1, 2, 2, 0, 1);

    @Test
    void theRealClientTriesTheScriptedNodesInOrder() {
        List<HostPort> cluster = List.of(new HostPort("127.0.0.1", 7001), new HostPort("127.0.0.1", 7002),
                new HostPort("127.0.0.1", 7003));
        List<Integer> visited = new ArrayList<>();
        try (LeaderSeekingClient<KvGrpc.KvBlockingStub> client = new LeaderSeekingClient<>(cluster,
                KvGrpc::newBlockingStub, OPTIONS, new SessionPool())) {
            String value = client.call("get", stub -> {
                int node = nodeOf(stub);
                Reply reply = SCRIPT.get(visited.size());
                visited.add(node);
                String id = "n" + node;
                return switch (reply) {
                    case Reply.NotLeader n -> new Answer<>(ErrorCode.NOT_LEADER, null, "", n.hinted() < 0 ? null
                            : LeaderHint.newBuilder().setLeaderId("n" + n.hinted())
                                    .setLeaderAddress(cluster.get(n.hinted()).target()).build(), id);
                    case Reply.Timeout t -> new Answer<>(ErrorCode.TIMEOUT, null, "timed out", null, id);
                    case Reply.Unavailable u -> throw Status.UNAVAILABLE.withDescription("reset").asRuntimeException();
                    case Reply.NoAnswer n -> throw Status.DEADLINE_EXCEEDED.asRuntimeException();
                    case Reply.Ok o -> new Answer<>(ErrorCode.OK, "v", "", null, id);
                };
            });
            assertEquals("v", value);
        }
        assertEquals(EXPECTED, visited);
    }

    @Test
    void theSimulatedClerkTriesTheSameNodesInOrder() {
        Scheduler scheduler = new Scheduler();
        SplittableRandom random = new SplittableRandom(7);
        List<Integer> visited = new ArrayList<>();
        List<String> servers = List.of("n0", "n1", "n2");
        ClientNetwork network = new ClientNetwork(scheduler, random, server -> new ScriptedNode(server, visited));
        SimClerk clerk = new SimClerk(0, servers, OPTIONS, scheduler, random, network, new SimHistory());
        ClerkCall call = clerk.get("k");
        assertTrue(scheduler.runUntil(call::done, 60 * Scheduler.SECONDS));
        assertEquals(Outcome.ok("v"), call.outcome());
        assertEquals(EXPECTED, visited);
    }

    /** A node of the simulated network that answers from the script. */
    private record ScriptedNode(String server, List<Integer> visited) implements SimFrontEnd {
        @Override
        public SimRaftService raft() {
            throw new UnsupportedOperationException("a scripted node has no raft");
        }

        @Override
        public void handle(com.google.protobuf.Message request, java.util.function.Consumer<ClientReply> respond) {
            int node = Integer.parseInt(server.substring(1));
            Reply reply = SCRIPT.get(visited.size());
            visited.add(node);
            GetReply.Builder answer = GetReply.newBuilder().setNodeId(server);
            switch (reply) {
                case Reply.NotLeader n -> {
                    answer.setCode(ErrorCode.NOT_LEADER);
                    if (n.hinted() >= 0) {
                        answer.setLeader(LeaderHint.newBuilder().setLeaderId("n" + n.hinted())
                                .setLeaderAddress("n" + n.hinted()));
                    }
                    respond.accept(ClientReply.of(answer.build()));
                }
                case Reply.Timeout t -> respond.accept(ClientReply.of(answer.setCode(ErrorCode.TIMEOUT).build()));
                case Reply.Unavailable u -> respond.accept(ClientReply.failed("UNAVAILABLE: reset"));
                case Reply.NoAnswer n -> {
                    // never answers: the clerk's attempt timer fires
                }
                case Reply.Ok o -> respond.accept(ClientReply.of(answer.setCode(ErrorCode.OK)
                        .setValue(com.google.protobuf.ByteString.copyFromUtf8("v")).build()));
            }
        }

        @Override
        public void crash() {
        }
    }

    /** The node a stub's channel points at: the stubs are never used to call, so they never connect. */
    private static int nodeOf(KvGrpc.KvBlockingStub stub) {
        String authority = stub.getChannel().authority();
        return Integer.parseInt(authority.substring(authority.lastIndexOf(':') + 1)) - 7001;
    }
}
