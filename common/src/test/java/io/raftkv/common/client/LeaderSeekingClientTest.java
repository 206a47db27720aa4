package io.raftkv.common.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.AbstractStub;
import io.raftkv.common.cli.HostPort;
import io.raftkv.proto.service.ErrorCode;
import io.raftkv.proto.service.LeaderHint;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The retry loop against scripted nodes: each attempt is answered by a fake keyed on the address its stub's channel
 * points at (the channels are never connected), so the test sees exactly which node each attempt went to.
 */
class LeaderSeekingClientTest {
    private static final List<HostPort> CLUSTER = List.of(new HostPort("127.0.0.1", 7001),
            new HostPort("127.0.0.1", 7002), new HostPort("127.0.0.1", 7003));
    private static final ClientOptions FAST = ClientOptions.DEFAULT.withTimeout(Duration.ofMillis(400))
            .withAttemptTimeout(Duration.ofMillis(150)).withBackoff(Duration.ofMillis(5), Duration.ofMillis(20));

    /** A stub that only carries its channel and call options; the attempts never use it to call. */
    static final class FakeStub extends AbstractStub<FakeStub> {
        FakeStub(Channel channel, CallOptions options) {
            super(channel, options);
        }

        @Override
        protected FakeStub build(Channel channel, CallOptions options) {
            return new FakeStub(channel, options);
        }

        int port() {
            String authority = getChannel().authority();
            return Integer.parseInt(authority.substring(authority.lastIndexOf(':') + 1));
        }
    }

    private final List<Integer> visited = Collections.synchronizedList(new ArrayList<>());
    private final SessionPool sessions = new SessionPool();
    private final LeaderSeekingClient<FakeStub> client = new LeaderSeekingClient<>(CLUSTER,
            channel -> new FakeStub(channel, CallOptions.DEFAULT), FAST, sessions);

    @AfterEach
    void close() {
        client.close();
    }

    private static String idOf(int port) {
        return "n" + (port - 7000);
    }

    /** Node n3 leads; the others answer NOT_LEADER naming it by id (after a first answer taught its address). */
    private Answer<String> leaderIsN3(FakeStub stub) {
        int port = stub.port();
        visited.add(port);
        if (port == 7003) {
            return new Answer<>(ErrorCode.OK, "from n3", "", null, "n3");
        }
        return new Answer<>(ErrorCode.NOT_LEADER, null, "", LeaderHint.newBuilder().setLeaderId("n3")
                .setLeaderAddress("n3.internal:7000").build(), idOf(port));
    }

    @Test
    void followsLeaderHintsAndRemembersTheLeader() {
        // n3's id is not learned yet and its advertised address is internal: the loop walks on to n3 itself.
        assertEquals("from n3", client.call("get", this::leaderIsN3));
        assertEquals(List.of(7001, 7002, 7003), visited);
        visited.clear();
        assertEquals("from n3", client.call("get", this::leaderIsN3));
        assertEquals(List.of(7003), visited, "the second call goes straight to the remembered leader");
    }

    @Test
    void hintByLearnedIdJumpsStraightToTheLeader() {
        client.endpoints().get(2).learnNodeId("n3");
        assertEquals("from n3", client.call("get", this::leaderIsN3));
        assertEquals(List.of(7001, 7003), visited, "n1's hint named n3, whose address was known");
    }

    @Test
    void hintByConfiguredAddressIsFollowed() {
        String answer = client.call("get", stub -> {
            visited.add(stub.port());
            return stub.port() == 7003 ? new Answer<>(ErrorCode.OK, "ok", "", null, "")
                    : new Answer<String>(ErrorCode.NOT_LEADER, null, "",
                            LeaderHint.newBuilder().setLeaderAddress("127.0.0.1:7003").build(), "");
        });
        assertEquals("ok", answer);
        assertEquals(List.of(7001, 7003), visited);
    }

    @Test
    void everyRetryOfAWriteCarriesTheSameSessionAndTheNextWriteTheNextSequence() {
        List<long[]> seen = Collections.synchronizedList(new ArrayList<>());
        SessionPool.Session probe = sessions.borrow();
        long clientId = probe.clientId();
        sessions.giveBack(probe);
        for (int write = 0; write < 2; write++) {
            client.callWithSession("put", (stub, id, sequence) -> {
                seen.add(new long[] {id, sequence});
                // The first attempt of each write times out on the node: it must be retried unchanged.
                return seen.size() % 2 == 1 ? new Answer<>(ErrorCode.TIMEOUT, null, "slow", null, "")
                        : new Answer<>(ErrorCode.OK, "done", "", null, "");
            });
        }
        assertEquals(4, seen.size());
        for (long[] attempt : seen) {
            assertEquals(clientId, attempt[0], "one session for consecutive writes of one caller");
        }
        assertEquals(seen.get(0)[1], seen.get(1)[1], "a retry reuses its write's sequence");
        assertEquals(seen.get(0)[1] + 1, seen.get(2)[1], "the next write takes the next sequence");
        assertEquals(seen.get(2)[1], seen.get(3)[1]);
    }

    @Test
    void concurrentWritesNeverShareASession() throws InterruptedException {
        int writers = 4;
        CountDownLatch allInside = new CountDownLatch(writers);
        Set<Long> clientIds = Collections.synchronizedSet(new HashSet<>());
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < writers; i++) {
            threads.add(Thread.ofPlatform().start(() -> client.callWithSession("put", (stub, id, sequence) -> {
                clientIds.add(id);
                allInside.countDown();
                try {
                    // Hold the session until every writer holds one, so they are truly concurrent.
                    allInside.await(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return new Answer<>(ErrorCode.OK, "done", "", null, "");
            })));
        }
        for (Thread thread : threads) {
            thread.join(10_000);
        }
        assertEquals(writers, clientIds.size(), "each in-flight write has its own client id");
        assertTrue(clientIds.stream().allMatch(id -> id != 0), "0 means no session on the wire");
    }

    @Test
    void invalidArgumentIsFinalAndThrownAtOnce() {
        RequestRejectedException e = assertThrows(RequestRejectedException.class, () -> client.call("put", stub -> {
            visited.add(stub.port());
            return new Answer<>(ErrorCode.INVALID_ARGUMENT, null, "the key is too large", null, "");
        }));
        assertEquals("the key is too large", e.getMessage());
        assertEquals(1, visited.size());
    }

    @Test
    void serviceSpecificCodesEndTheCallWithTheirValue() {
        assertEquals("absent", client.call("get", stub -> new Answer<>(ErrorCode.NO_KEY, "absent", "", null, "")));
    }

    @Test
    void unreachableNodesAreSkippedAndATooLargeRequestIsRejected() {
        String answer = client.call("get", stub -> {
            visited.add(stub.port());
            if (stub.port() != 7002) {
                throw Status.UNAVAILABLE.withDescription("Connection refused").asRuntimeException();
            }
            return new Answer<>(ErrorCode.OK, "n2", "", null, "");
        });
        assertEquals("n2", answer);
        assertEquals(List.of(7001, 7002), visited);
        assertThrows(RequestRejectedException.class, () -> client.call("put", stub -> {
            throw Status.RESOURCE_EXHAUSTED.withDescription("message too large").asRuntimeException();
        }));
    }

    @Test
    void noLeaderFailsAtTheDeadlineNamingEveryNodesProblem() {
        long start = System.nanoTime();
        ServiceUnavailableException e = assertThrows(ServiceUnavailableException.class, () -> client.call("put",
                stub -> {
                    visited.add(stub.port());
                    assertNotNull(stub.getCallOptions().getDeadline(), "each attempt has a deadline");
                    assertTrue(stub.getCallOptions().getDeadline().timeRemaining(TimeUnit.MILLISECONDS) <= 150,
                            "an attempt gets at most the attempt timeout");
                    return new Answer<String>(ErrorCode.NOT_LEADER, null, "", null, idOf(stub.port()));
                }));
        long tookMillis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(tookMillis >= 390, "gave up only at the deadline, after " + tookMillis + " ms");
        assertTrue(e.getMessage().startsWith("no leader completed the put within 400ms"), e.getMessage());
        for (HostPort address : CLUSTER) {
            assertTrue(e.getMessage().contains(address + ": not the leader, leader unknown"), e.getMessage());
        }
        // Rounds with no leader back off: nowhere near a busy loop over 400 ms.
        assertTrue(visited.size() < 200, "attempts: " + visited.size());
        assertNotEquals(0, visited.size());
    }

    private Answer<String> refused(FakeStub stub) {
        visited.add(stub.port());
        throw Status.UNAVAILABLE.withDescription("Connection refused").asRuntimeException();
    }

    @Test
    void everyNodeRefusingTwiceInARowEndsTheCallEarlyWhenAskedTo() {
        try (LeaderSeekingClient<FakeStub> failFast = new LeaderSeekingClient<>(CLUSTER,
                channel -> new FakeStub(channel, CallOptions.DEFAULT),
                FAST.withTimeout(Duration.ofMinutes(5)).failingFastWhenAllRefuse(), sessions)) {
            ServiceUnavailableException e = assertThrows(ServiceUnavailableException.class,
                    () -> failFast.call("get", this::refused));
            assertTrue(e.getMessage().startsWith("every node refused the connection, twice in a row"), e.getMessage());
            for (HostPort address : CLUSTER) {
                assertTrue(e.getMessage().contains(address + ": unreachable (connection refused)"), e.getMessage());
            }
            assertEquals(6, visited.size(), "two rounds of three nodes: " + visited);

            // One node that answers, even without leading, means the cluster is there: keep trying to the deadline.
            visited.clear();
            try (LeaderSeekingClient<FakeStub> shortFailFast = new LeaderSeekingClient<>(CLUSTER,
                    channel -> new FakeStub(channel, CallOptions.DEFAULT), FAST.failingFastWhenAllRefuse(), sessions)) {
                ServiceUnavailableException partly = assertThrows(ServiceUnavailableException.class,
                        () -> shortFailFast.call("get", stub -> stub.port() == 7002
                                ? new Answer<String>(ErrorCode.NOT_LEADER, null, "", null, "n2")
                                : refused(stub)));
                assertTrue(partly.getMessage().startsWith("no leader completed the get within 400ms"),
                        partly.getMessage());
            }
        }
    }

    @Test
    void refusalsAreRetriedToTheDeadlineByDefault() {
        ServiceUnavailableException e = assertThrows(ServiceUnavailableException.class,
                () -> client.call("get", this::refused));
        assertTrue(e.getMessage().startsWith("no leader completed the get within 400ms"), e.getMessage());
        assertTrue(visited.size() > 6, "attempts: " + visited.size());
    }
}
