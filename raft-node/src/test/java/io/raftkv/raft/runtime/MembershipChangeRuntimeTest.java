package io.raftkv.raft.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raftkv.common.cli.HostPort;
import io.raftkv.raft.api.MembershipChangeRefusedException;
import io.raftkv.raft.api.NotLeaderException;
import io.raftkv.raft.api.Proposal;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.Role;
import io.raftkv.raft.testnode.LogStateMachine;
import io.raftkv.testkit.Eventually;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Membership changes through the runtime: real nodes in one JVM (gRPC on loopback, RocksDB), a node that joins while
 * the group runs, and peers connected and let go of with no restart.
 */
class MembershipChangeRuntimeTest {
    @TempDir
    Path dir;

    private static byte[] value(String s) {
        return LogStateMachine.valueCommand(s);
    }

    private static void write(RaftNode leader, String prefix, int count) throws Exception {
        for (int i = 0; i < count; i++) {
            Proposal p = leader.propose(value(prefix + i)).get(10, TimeUnit.SECONDS);
            p.applied().get(10, TimeUnit.SECONDS);
        }
    }

    private static <T> T await(CompletableFuture<T> future) throws Exception {
        return future.get(20, TimeUnit.SECONDS);
    }

    /** The exception {@code future} fails with. */
    private static Throwable failure(CompletableFuture<?> future) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> future.get(20, TimeUnit.SECONDS));
        return e.getCause();
    }

    @Test
    void aNodeJoinsIsPromotedAndTheOriginalsLeaveWithoutARestart() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (LocalCluster cluster = new LocalCluster(dir, 3, b -> { })) {
            cluster.startAll();
            String leaderId = cluster.awaitLeader();
            RaftNode leader = cluster.node(leaderId);
            write(leader, "a", 50);
            Membership three = leader.configuration();
            assertEquals(List.of("n1", "n2", "n3"), three.voters());
            assertEquals(cluster.members.get("n2").target(), three.addresses().get("n2"));

            // n4 starts knowing only the members; the leader adds it as a learner, then it catches up under writes.
            HostPort n4 = cluster.startJoiner("n4");
            assertEquals(Role.FOLLOWER, cluster.node("n4").status().role());
            Membership withLearner = await(leader.addLearner("n4", n4));
            assertEquals(List.of("n1", "n2", "n3"), withLearner.voters());
            assertEquals(List.of("n4"), withLearner.learners());
            assertEquals(n4.target(), withLearner.addresses().get("n4"));
            CompletableFuture<Void> writes = CompletableFuture.runAsync(() -> {
                try {
                    write(leader, "b", 100);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            cluster.awaitValues(50);
            writes.get(60, TimeUnit.SECONDS);
            cluster.awaitValues(150);
            assertEquals(cluster.machine(leaderId).values(0, 1000), cluster.machine("n4").values(0, 1000));
            assertEquals(withLearner, cluster.node("n4").configuration());
            assertEquals(leader.clusterId(), cluster.node("n4").clusterId(), "a node that joins learns the cluster");

            Membership four = await(leader.promote("n4"));
            assertEquals(List.of("n1", "n2", "n3", "n4"), four.voters());
            Eventually.await("every node knows four voters", Duration.ofSeconds(10), () -> cluster.runningIds()
                    .stream().allMatch(id -> cluster.node(id).configuration().voters().size() == 4));

            // An original follower dies for good and is removed; the others go on with n4 in its place.
            String lost = cluster.runningIds().stream().filter(id -> !id.equals(leaderId) && !id.equals("n4"))
                    .findFirst().orElseThrow();
            cluster.stop(lost);
            Membership replaced = await(leader.remove(lost));
            assertEquals(3, replaced.voters().size());
            assertTrue(!replaced.addresses().containsKey(lost), replaced.toString());
            write(leader, "c", 20);

            // The leader removes itself: it hands leadership on once the change commits.
            Membership withoutLeader = await(leader.remove(leaderId));
            assertEquals(2, withoutLeader.voters().size());
            cluster.stop(leaderId);
            String next = cluster.awaitLeader();
            assertTrue(withoutLeader.isVoter(next), next);
            write(cluster.node(next), "d", 20);
            cluster.awaitValues(50 + 100 + 20 + 20);
            assertEquals(cluster.machine(next).values(0, 1000), cluster.machine("n4").values(0, 1000));

            // n4, which joined, restarts from its own storage: the membership and every address come back.
            cluster.stop("n4");
            cluster.start("n4");
            assertEquals(withoutLeader.voters(), cluster.node("n4").configuration().voters());
            cluster.awaitLeader();
            write(cluster.node(cluster.awaitLeader()), "e", 5);
            cluster.awaitValues(195);
        }
    }

    @Test
    void replaceSwapsADeadMemberForANewNodeInOneCall() throws Exception {
        try (LocalCluster cluster = new LocalCluster(dir, 3, b -> b.maxPromotionLag(0))) {
            cluster.startAll();
            String leaderId = cluster.awaitLeader();
            RaftNode leader = cluster.node(leaderId);
            write(leader, "a", 200); // the new node is promoted only once it has every entry: it must catch up first
            String dead = cluster.runningIds().stream().filter(id -> !id.equals(leaderId)).findFirst().orElseThrow();
            cluster.stop(dead);

            assertInstanceOf(IllegalArgumentException.class,
                    failure(leader.replace("n9", "n4", new HostPort("127.0.0.1", 1), Duration.ofSeconds(1))));
            HostPort address = cluster.startJoiner("n4");
            Membership after = await(leader.replace(dead, "n4", address, Duration.ofSeconds(15)));
            assertTrue(after.isVoter("n4") && !after.isMember(dead) && after.voters().size() == 3, after.toString());
            assertEquals(address.target(), after.addresses().get("n4"));
            write(leader, "b", 20);
            cluster.awaitValues(220);
            assertEquals(cluster.machine(leaderId).values(0, 1000), cluster.machine("n4").values(0, 1000));
        }
    }

    @Test
    void refusalsSayWhyAndFollowersNameTheLeader() throws Exception {
        Map<String, SimpleMeterRegistry> registries = new java.util.concurrent.ConcurrentHashMap<>();
        try (LocalCluster cluster = new LocalCluster(dir, 3, b -> {
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            registries.put(b.id, registry);
            b.meterRegistry(registry).maxPromotionLag(3);
        })) {
            cluster.startAll();
            String leaderId = cluster.awaitLeader();
            RaftNode leader = cluster.node(leaderId);
            write(leader, "a", 5);
            String follower = cluster.runningIds().stream().filter(id -> !id.equals(leaderId)).findFirst()
                    .orElseThrow();

            Throwable notLeader = failure(cluster.node(follower).remove(leaderId));
            NotLeaderException hint = assertInstanceOf(NotLeaderException.class, notLeader);
            assertEquals(leaderId, hint.leaderId());
            assertEquals(cluster.members.get(leaderId).target(), hint.leaderAddress());

            assertEquals("n9 is not a member", failure(leader.promote("n9")).getMessage());
            assertEquals("n2 is already a voter", failure(leader.addLearner("n2", new HostPort("127.0.0.1", 1)))
                    .getMessage());
            assertInstanceOf(MembershipChangeRefusedException.class, failure(leader.promote("n9")));

            // A learner that never answers lags behind every entry: promotion is refused, saying by how much.
            HostPort nowhere = new HostPort("127.0.0.1", io.raftkv.testkit.Ports.freePort());
            await(leader.addLearner("n5", nowhere));
            SimpleMeterRegistry metrics = registries.get(leaderId);
            assertEquals(1, metrics.get("raft.learners").gauge().value());
            assertEquals(3, metrics.get("raft.voters").gauge().value());
            write(leader, "b", 5);
            Eventually.await("the learner's lag published", Duration.ofSeconds(10), () -> metrics
                    .find("raft.learner.lag").tag("learner", "n5").gauge() != null
                    && metrics.get("raft.learner.lag").tag("learner", "n5").gauge().value() >= 5);
            Throwable lagging = failure(leader.promote("n5"));
            assertInstanceOf(MembershipChangeRefusedException.class, lagging);
            assertTrue(lagging.getMessage().startsWith("n5 is ") && lagging.getMessage().contains("entries behind"),
                    lagging.getMessage());
            assertTrue(await(leader.remove("n5")).learners().isEmpty());
            assertEquals(1, metrics.get("raft.config.changes").tag("op", "add_learner").counter().count());
            assertEquals(1, metrics.get("raft.config.changes").tag("op", "remove_node").counter().count());
            assertEquals(0, metrics.get("raft.config.changes").tag("op", "promote_learner").counter().count());
            Eventually.await("the removed learner's lag gauge gone", Duration.ofSeconds(10),
                    () -> metrics.find("raft.learner.lag").gauges().isEmpty());
        }
    }
}
