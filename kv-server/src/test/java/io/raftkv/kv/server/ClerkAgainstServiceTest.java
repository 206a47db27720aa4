package io.raftkv.kv.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raftkv.common.cli.HostPort;
import io.raftkv.common.client.ClientOptions;
import io.raftkv.common.grpc.GrpcServer;
import io.raftkv.kv.client.Clerk;
import io.raftkv.kv.client.GetResult;
import io.raftkv.kv.client.KvInvalidArgumentException;
import io.raftkv.kv.plain.PlainKvRules;
import io.raftkv.kv.state.KvStateMachine;
import io.raftkv.testkit.linearizability.CheckResult;
import io.raftkv.testkit.linearizability.HistoryRecorder;
import io.raftkv.testkit.linearizability.KvModel;
import io.raftkv.testkit.linearizability.LinearizabilityChecker;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real Clerk against the real Kv service and state machine, on one-node stand-ins for Raft. */
class ClerkAgainstServiceTest {
    private static final ClientOptions OPTIONS = ClientOptions.DEFAULT.withTimeout(Duration.ofSeconds(20))
            .withAttemptTimeout(Duration.ofSeconds(2)).withBackoff(Duration.ofMillis(5), Duration.ofMillis(50));

    @TempDir
    Path dir;

    private final List<AutoCloseable> resources = new ArrayList<>();
    private final ExecutorService executor = Executors.newCachedThreadPool();

    /** A node: state machine, stand-in Raft, Kv service on a loopback port. */
    private record Node(KvStateMachine machine, SingleNodeRaft raft, GrpcServer server) {
        HostPort address() {
            return new HostPort("127.0.0.1", server.port());
        }
    }

    private Node node(String id) throws Exception {
        KvStateMachine machine = PlainKvRules.openState(dir.resolve(id), KvStateMachine.DEFAULT_SESSION_TTL);
        resources.add(machine);
        SingleNodeRaft raft = new SingleNodeRaft(machine, id, "");
        resources.add(raft);
        KvService service = new KvService(raft, machine, new NodeIdentity(id, id + ":7001"), KvLimits.DEFAULT,
                Duration.ofSeconds(2), Clock.systemUTC(), executor, new SimpleMeterRegistry());
        GrpcServer server = GrpcServer.builder("127.0.0.1", 0).addService(service).start();
        resources.add(server);
        return new Node(machine, raft, server);
    }

    private Clerk clerk(HostPort... cluster) {
        Clerk clerk = Clerk.connect(List.of(cluster), OPTIONS);
        resources.add(clerk);
        return clerk;
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable resource : resources.reversed()) {
            resource.close();
        }
        executor.shutdownNow();
    }

    @Test
    void everyOperationEndToEnd() throws Exception {
        Node node = node("n1");
        Clerk clerk = clerk(node.address());
        assertFalse(clerk.get("k").found());
        clerk.put("k", "a");
        clerk.append("k", "b");
        assertEquals("ab", ((GetResult.Found) clerk.get("k")).text());
        assertTrue(clerk.delete("k"));
        assertFalse(clerk.delete("k"));
        KvInvalidArgumentException tooBig = assertThrows(KvInvalidArgumentException.class,
                () -> clerk.put("k", "x".repeat(KvLimits.DEFAULT.maxValueBytes() + 1)));
        assertEquals("the value is 1048577 bytes; the limit is 1048576", tooBig.getMessage());
    }

    @Test
    void writesAppliedButAnsweredNotLeaderAreRetriedWithoutApplyingTwice() throws Exception {
        Node node = node("n1");
        Clerk clerk = clerk(node.address());
        node.raft().loseAfterApplying.set(3);
        clerk.append("k", "x");
        assertEquals("x", ((GetResult.Found) clerk.get("k")).text());
        // Four entries reached the log (the first and three retries); the value shows one application.
        assertEquals(4, node.machine().appliedIndex());
    }

    @Test
    void aFollowerSendsTheClerkToTheLeader() throws Exception {
        Node follower = node("n1");
        Node leader = node("n2");
        follower.raft().leader = false;
        follower.raft().hintId = "n2";
        follower.raft().hintAddress = leader.address().toString();
        Clerk clerk = clerk(follower.address(), leader.address());
        clerk.put("k", "v");
        assertEquals(1, leader.machine().appliedIndex());
        assertEquals(0, follower.machine().appliedIndex());
    }

    @Test
    void concurrentClientsProduceALinearizableHistory() throws Exception {
        Node node = node("n1");
        node.raft().loseAfterApplying.set(20); // some writes must be retried
        Clerk clerk = clerk(node.address());
        HistoryRecorder<KvModel.Input, KvModel.Output> history = new HistoryRecorder<>();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
            long client = c;
            Random random = new Random(c);
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 60; i++) {
                    String key = "k" + random.nextInt(3);
                    int choice = random.nextInt(10);
                    if (choice < 4) {
                        long call = history.invoke(client, KvModel.Input.get(key));
                        GetResult result = clerk.get(key);
                        history.ok(call, result instanceof GetResult.Found found
                                ? KvModel.Output.value(found.text()) : KvModel.Output.notFound());
                    } else if (choice < 9) {
                        String value = client + "." + i + ";";
                        long call = history.invoke(client, KvModel.Input.append(key, value));
                        clerk.append(key, value);
                        history.ok(call, KvModel.Output.ok());
                    } else {
                        long call = history.invoke(client, KvModel.Input.delete(key));
                        history.ok(call, KvModel.Output.deleted(clerk.delete(key)));
                    }
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        CheckResult result = LinearizabilityChecker.check(KvModel.INSTANCE, history.history(), Duration.ofSeconds(60));
        assertTrue(result.isLinearizable(), result::toString);
        assertEquals(240, result.operations());
    }
}
