package io.raftkv.kv.client;

import io.raftkv.common.client.ClientOptions;
import static io.raftkv.kv.client.FakeKvNode.Mode.FOLLOWER;
import static io.raftkv.kv.client.FakeKvNode.Mode.LEADER;
import static io.raftkv.kv.client.FakeKvNode.Mode.SILENT;
import static io.raftkv.kv.client.FakeKvNode.Mode.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.common.cli.HostPort;
import io.raftkv.testkit.Ports;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ClerkTest {
    private static final ClientOptions FAST = ClientOptions.DEFAULT
            .withTimeout(Duration.ofSeconds(20))
            .withAttemptTimeout(Duration.ofSeconds(2))
            .withBackoff(Duration.ofMillis(10), Duration.ofMillis(100));

    /** Loads gRPC and Netty before the tests that count calls, so a cold first call does not miss its deadline. */
    @BeforeAll
    static void warmUp() {
        FakeKvNode.Store scratch = new FakeKvNode.Store();
        try (FakeKvNode node = new FakeKvNode("n0", "kv0:7001", LEADER, scratch);
                Clerk clerk = Clerk.connect(List.of(node.address()), FAST)) {
            clerk.put("warm", "up");
            clerk.get("warm");
        }
    }

    private final FakeKvNode.Store store = new FakeKvNode.Store();
    private final List<AutoCloseable> resources = new ArrayList<>();

    private FakeKvNode node(String id, FakeKvNode.Mode mode) {
        FakeKvNode node = new FakeKvNode(id, "kv" + id.substring(1) + ":7001", mode, store);
        resources.add(node);
        return node;
    }

    private Clerk clerk(List<HostPort> cluster, ClientOptions options) {
        Clerk clerk = Clerk.connect(cluster, options);
        resources.add(clerk);
        return clerk;
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable resource : resources.reversed()) {
            resource.close();
        }
    }

    private static void resetCalls(FakeKvNode... nodes) {
        for (FakeKvNode node : nodes) {
            node.calls.set(0);
        }
    }

    @Test
    void findsTheLeaderThenFollowsHintsToTheConfiguredAddressOfTheHintedId() {
        FakeKvNode n1 = node("n1", FOLLOWER);
        FakeKvNode n2 = node("n2", FOLLOWER);
        FakeKvNode n3 = node("n3", LEADER);
        // Hints carry in-cluster addresses this client cannot reach; only the ids are useful.
        n1.follow("n3", "kv3:7001");
        n2.follow("n3", "kv3:7001");
        Clerk clerk = clerk(FakeKvNode.addresses(n1, n2, n3), FAST);

        clerk.put("k", "v1");
        assertEquals("v1", store.get("k"));
        assertEquals(1, n3.calls.get());

        // Leadership moves to n1. The Clerk goes to n3 (the leader it remembers), which names n1 by id: straight
        // to n1's configured address, not through n2 and not to kv1:7001.
        n1.mode = LEADER;
        n3.follow("n1", "kv1:7001");
        n2.follow("n1", "kv1:7001");
        resetCalls(n1, n2, n3);
        clerk.put("k", "v2");
        assertEquals("v2", store.get("k"));
        assertEquals(1, n3.calls.get());
        assertEquals(1, n1.calls.get());
        assertEquals(0, n2.calls.get());

        // And it remembers n1 now.
        resetCalls(n1, n2, n3);
        assertEquals("v2", ((GetResult.Found) clerk.get("k")).text());
        assertEquals(1, n1.calls.get());
        assertEquals(0, n2.calls.get() + n3.calls.get());
    }

    @Test
    void aHintWithAConfiguredAddressIsFollowedBeforeIdsAreKnown() {
        FakeKvNode n1 = node("n1", FOLLOWER);
        FakeKvNode n2 = node("n2", FOLLOWER);
        FakeKvNode n3 = node("n3", LEADER);
        n1.follow("n3", n3.address().toString());
        Clerk clerk = clerk(FakeKvNode.addresses(n1, n2, n3), FAST);
        clerk.put("k", "v");
        assertEquals(1, n1.calls.get());
        assertEquals(0, n2.calls.get());
        assertEquals(1, n3.calls.get());
    }

    @Test
    void retriesOfAWriteCarryTheSameClientIdAndSequence() {
        FakeKvNode n1 = node("n1", LEADER);
        FakeKvNode n2 = node("n2", FOLLOWER);
        n2.follow("n1", "kv1:7001");
        store.loseReplies.set(2); // applied, but the answer says TIMEOUT: twice
        Clerk clerk = clerk(FakeKvNode.addresses(n1, n2), FAST);

        clerk.append("k", "x");
        assertEquals("x", store.get("k"), "applied exactly once");
        assertEquals(1, store.applied.get());
        List<FakeKvNode.Received> attempts = List.copyOf(store.received);
        assertTrue(attempts.size() >= 3, "the write was retried: " + attempts);
        Set<String> identities = attempts.stream().map(r -> r.clientId() + "/" + r.sequence())
                .collect(Collectors.toSet());
        assertEquals(1, identities.size(), "every retry had the same identity: " + attempts);
        FakeKvNode.Received first = attempts.get(0);
        assertTrue(first.clientId() != 0 && first.sequence() == 1);

        // The next write of the (now idle) session takes the next sequence number.
        store.received.clear();
        clerk.append("k", "y");
        FakeKvNode.Received next = store.received.peek();
        assertEquals(first.clientId(), next.clientId());
        assertEquals(2, next.sequence());
        assertEquals("xy", store.get("k"));
    }

    @Test
    void aNodeThatIsDownOrNeverAnswersOrTimesOutIsPassedOver() {
        FakeKvNode silent = node("n1", SILENT);
        FakeKvNode timingOut = node("n2", TIMEOUT);
        FakeKvNode leader = node("n3", LEADER);
        HostPort down = new HostPort("127.0.0.1", Ports.freePort());
        Clerk clerk = clerk(List.of(down, silent.address(), timingOut.address(), leader.address()),
                FAST.withAttemptTimeout(Duration.ofSeconds(1)));
        assertTimeoutPreemptively(Duration.ofSeconds(15), () -> clerk.put("k", "v"));
        assertEquals("v", store.get("k"));
        assertEquals(1, silent.calls.get());
        assertEquals(1, timingOut.calls.get());
    }

    @Test
    void givesUpAtTheDeadlineNamingWhatWentWrongWithEachNode() {
        FakeKvNode follower = node("n1", FOLLOWER);
        FakeKvNode silent = node("n2", SILENT);
        HostPort down = new HostPort("127.0.0.1", Ports.freePort());
        Clerk clerk = clerk(List.of(follower.address(), silent.address(), down),
                FAST.withTimeout(Duration.ofMillis(1_500)).withAttemptTimeout(Duration.ofMillis(200)));
        long start = System.nanoTime();
        KvUnavailableException error = assertThrows(KvUnavailableException.class, () -> clerk.put("k", "v"));
        long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
        assertTrue(elapsedMillis >= 1_500, "gave up early, after " + elapsedMillis + " ms");
        assertTrue(elapsedMillis < 10_000, "overran the deadline: " + elapsedMillis + " ms");
        String message = error.getMessage();
        assertTrue(message.startsWith("no leader completed the put within 1500ms"), message);
        assertTrue(message.contains(follower.address() + ": not the leader, leader unknown"), message);
        assertTrue(message.contains(silent.address() + ": no answer in time"), message);
        assertTrue(message.contains(down + ": unreachable"), message);
        assertFalse(message.contains("\n"), message);
        assertTrue(follower.calls.get() > 1, "kept retrying until the deadline");
        assertEquals(0, store.applied.get());
    }

    @Test
    void anInvalidRequestFailsAtOnceWithTheServersReason() {
        FakeKvNode leader = node("n1", LEADER);
        store.maxValueLength = 3;
        Clerk clerk = clerk(List.of(leader.address()), FAST);
        KvInvalidArgumentException error = assertThrows(KvInvalidArgumentException.class,
                () -> clerk.put("k", "too long"));
        assertEquals("the value is 8 bytes; the limit is 3", error.getMessage());
        assertEquals(1, leader.calls.get(), "not retried");
    }

    @Test
    void readsAndDeletesHaveTypedResults() {
        FakeKvNode leader = node("n1", LEADER);
        Clerk clerk = clerk(List.of(leader.address()), FAST);
        assertInstanceOf(GetResult.NotFound.class, clerk.get("k"));
        assertFalse(clerk.get("k").found());
        clerk.put("k", "v");
        assertEquals("v", ((GetResult.Found) clerk.get("k")).text());
        assertTrue(clerk.delete("k"));
        assertFalse(clerk.delete("k"));
        assertFalse(clerk.get("k").found());
    }

    @Test
    void concurrentCallersNeverShareASessionInFlight() throws InterruptedException {
        FakeKvNode leader = node("n1", LEADER);
        Clerk clerk = clerk(List.of(leader.address()), FAST);
        Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            String key = "k" + t;
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    for (int i = 0; i < 30; i++) {
                        clerk.append(key, "x");
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertEquals(List.of(), List.copyOf(failures));
        assertEquals(List.of(), List.copyOf(leader.violations));
        for (int t = 0; t < 8; t++) {
            assertEquals("x".repeat(30), store.get("k" + t));
        }
        assertEquals(240, store.applied.get(), "every append applied once");
        long sessions = store.received.stream().mapToLong(FakeKvNode.Received::clientId).distinct().count();
        assertTrue(sessions >= 1 && sessions <= 8, "one session per concurrent caller at most: " + sessions);
    }

    @Test
    void statusAsksEveryNodeAndReportsTheUnreachable() {
        FakeKvNode n1 = node("n1", LEADER);
        FakeKvNode n2 = node("n2", FOLLOWER);
        n2.follow("n1", "kv1:7001");
        HostPort down = new HostPort("127.0.0.1", Ports.freePort());
        Clerk clerk = clerk(List.of(n1.address(), n2.address(), down), FAST);
        List<NodeReport> reports = clerk.status();
        assertEquals(3, reports.size());
        assertEquals("n1", reports.get(0).status().getNodeId());
        assertEquals("n1", reports.get(1).status().getLeaderId());
        assertFalse(reports.get(2).reachable());
        assertTrue(reports.get(2).error().startsWith("unreachable"), reports.get(2).error());
        assertEquals(down, reports.get(2).address());
    }
}
