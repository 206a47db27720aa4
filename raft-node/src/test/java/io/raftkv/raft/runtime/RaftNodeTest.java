package io.raftkv.raft.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raftkv.raft.api.NodeStatus;
import io.raftkv.raft.api.NotLeaderException;
import io.raftkv.raft.api.Proposal;
import io.raftkv.raft.core.Role;
import io.raftkv.raft.testnode.LogStateMachine;
import io.raftkv.testkit.Eventually;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Three real nodes in one JVM (gRPC on loopback, RocksDB, apply threads) behind the RaftService API. */
class RaftNodeTest {
    @TempDir
    Path dir;

    private static byte[] value(String s) {
        return LogStateMachine.valueCommand(s);
    }

    private static byte[] applied(RaftNode node, String s) throws Exception {
        Proposal p = node.propose(value(s)).get(10, TimeUnit.SECONDS);
        return p.applied().get(10, TimeUnit.SECONDS);
    }

    @ParameterizedTest(name = "async persist {0}")
    @ValueSource(booleans = {false, true})
    void electsLeaderAndAppliesTheSameSequenceEverywhere(boolean asyncPersist) throws Exception {
        try (LocalCluster cluster = new LocalCluster(dir, 3, b -> b.asyncPersist(asyncPersist))) {
            cluster.startAll();
            String leader = cluster.awaitLeader();
            RaftNode node = cluster.node(leader);
            List<CompletableFuture<byte[]>> replies = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                replies.add(node.propose(value("v" + i)).thenCompose(Proposal::applied));
            }
            for (int i = 0; i < 200; i++) {
                // The reply is the value's position in the replicated log: proposals are applied in order.
                assertEquals(i + 1, ByteBuffer.wrap(replies.get(i).get(10, TimeUnit.SECONDS)).getLong());
            }
            cluster.awaitValues(200);
            List<String> expected = cluster.machine(leader).values(0, 1000);
            for (String id : cluster.runningIds()) {
                assertEquals(expected, cluster.machine(id).values(0, 1000), id);
            }
            NodeStatus status = node.status();
            assertEquals(Role.LEADER, status.role());
            assertTrue(status.commitIndex() >= 200, status.toString());
            assertEquals(0, status.lastContactMillisAgo());
        }
    }

    @Test
    void followerRefusesProposalsWithTheLeadersAddress() throws Exception {
        try (LocalCluster cluster = new LocalCluster(dir, 3, b -> { })) {
            cluster.startAll();
            String leader = cluster.awaitLeader();
            String follower = cluster.runningIds().stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
            ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                    () -> cluster.node(follower).propose(value("x")).get(10, TimeUnit.SECONDS));
            NotLeaderException notLeader = assertInstanceOf(NotLeaderException.class, e.getCause());
            assertEquals(leader, notLeader.leaderId());
            assertEquals(cluster.members.get(leader).target(), notLeader.leaderAddress());
            NodeStatus status = cluster.node(follower).status();
            assertEquals(leader, status.leaderId());
            assertEquals(cluster.members.get(leader).target(), status.leaderAddress());
            assertTrue(status.lastContactMillisAgo() >= 0 && status.lastContactMillisAgo() < 5000, status.toString());
        }
    }

    @Test
    void readBarrierOnAFollowerReflectsAcknowledgedWrites() throws Exception {
        try (LocalCluster cluster = new LocalCluster(dir, 3, b -> { })) {
            cluster.startAll();
            String leader = cluster.awaitLeader();
            String follower = cluster.runningIds().stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
            for (int round = 0; round < 20; round++) {
                applied(cluster.node(leader), "w" + round);
                cluster.node(follower).readBarrier().get(10, TimeUnit.SECONDS);
                // Linearizable: once the barrier completes, the follower has applied the acknowledged write.
                assertEquals(round + 1, cluster.machine(follower).valueCount());
            }
            cluster.node(leader).readBarrier().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void leadershipTransfersOnRequest() throws Exception {
        try (LocalCluster cluster = new LocalCluster(dir, 3, b -> { })) {
            cluster.startAll();
            String leader = cluster.awaitLeader();
            applied(cluster.node(leader), "before");
            String target = cluster.runningIds().stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
            cluster.node(leader).transferLeadership(target).get(10, TimeUnit.SECONDS);
            Eventually.await("the target leads", Duration.ofSeconds(10),
                    () -> cluster.node(target).status().role() == Role.LEADER);
            applied(cluster.node(target), "after");
            cluster.awaitValues(2);
            assertNotEquals(leader, cluster.awaitLeader());
        }
    }

    @Test
    void aStoppingLeaderHandsLeadershipToTheMostCaughtUpVoter() throws Exception {
        // A long election timeout: without the hand-off, a stopped leader would leave the group leaderless for it.
        try (LocalCluster cluster = new LocalCluster(dir, 3, b -> b.electionTimeout(Duration.ofSeconds(5)))) {
            cluster.startAll();
            String leader = cluster.awaitLeader();
            applied(cluster.node(leader), "before");
            String follower = cluster.runningIds().stream().filter(id -> !id.equals(leader)).findFirst()
                    .orElseThrow();
            assertEquals("", cluster.node(follower).handOffLeadership(Duration.ofSeconds(2)));
            // One follower is down: the other, the only voter that answers, must be chosen.
            cluster.stop(follower);
            String other = cluster.runningIds().stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
            long start = System.nanoTime();
            assertEquals(other, cluster.node(leader).handOffLeadership(Duration.ofSeconds(2)));
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5), "a hand-off is no election timeout");
            // The old leader heard from the new one, which publishes its own status a moment later.
            Eventually.await(other + " leads", Duration.ofSeconds(2),
                    () -> cluster.node(other).status().role() == Role.LEADER);
            applied(cluster.node(other), "after"); // the old leader, still running, makes the quorum
        }
    }

    @Test
    void restartedFollowerCatchesUpFromTheLog() throws Exception {
        try (LocalCluster cluster = new LocalCluster(dir, 3, b -> { })) {
            cluster.startAll();
            String leader = cluster.awaitLeader();
            String follower = cluster.runningIds().stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
            for (int i = 0; i < 50; i++) {
                applied(cluster.node(leader), "a" + i);
            }
            cluster.stop(follower);
            for (int i = 0; i < 50; i++) {
                applied(cluster.node(leader), "b" + i);
            }
            cluster.start(follower);
            cluster.awaitValues(100);
            assertEquals(cluster.machine(leader).values(0, 1000), cluster.machine(follower).values(0, 1000));
        }
    }

    @ParameterizedTest(name = "async persist {0}")
    @ValueSource(booleans = {false, true})
    void followerBehindTheCompactedLogCatchesUpWithASnapshot(boolean asyncPersist) throws Exception {
        try (LocalCluster cluster = new LocalCluster(dir, 3, b -> b.maxRaftStateBytes(4096).snapshotCatchUpEntries(10)
                .snapshotChunkBytes(4096).asyncPersist(asyncPersist))) {
            cluster.startAll();
            String leader = cluster.awaitLeader();
            String follower = cluster.runningIds().stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
            applied(cluster.node(leader), "first");
            cluster.awaitValues(1);
            long followerLast = cluster.node(follower).status().lastIndex();
            cluster.stop(follower);
            for (int i = 0; i < 400; i++) {
                applied(cluster.node(leader), "value-" + i + "-" + "x".repeat(40));
            }
            Eventually.await("the leader compacts past the follower's log", Duration.ofSeconds(10),
                    () -> cluster.node(leader).firstIndex() > followerLast + 1);
            cluster.start(follower);
            cluster.awaitValues(401);
            assertEquals(cluster.machine(leader).values(0, 1000), cluster.machine(follower).values(0, 1000));
            assertTrue(cluster.node(follower).snapshotsInstalled() >= 1, "the follower installed a snapshot");
            assertTrue(cluster.node(leader).snapshotsSent() >= 1, "the leader sent a snapshot");
            // After the snapshot, replication continues from the log.
            applied(cluster.node(leader), "last");
            cluster.awaitValues(402);
        }
    }

    @Test
    void metricsReportWhatHappened() throws Exception {
        java.util.Map<String, SimpleMeterRegistry> registries = new java.util.HashMap<>();
        try (LocalCluster cluster = new LocalCluster(dir, 3, b -> {
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            registries.put(b.toString(), registry);
            b.meterRegistry(registry);
        })) {
            cluster.startAll();
            String leader = cluster.awaitLeader();
            for (int i = 0; i < 20; i++) {
                applied(cluster.node(leader), "m" + i);
            }
            SimpleMeterRegistry registry = registries.values().stream()
                    .filter(r -> r.get("raft.role").gauge().value() == 3).findFirst().orElseThrow();
            assertTrue(registry.get("raft.term").gauge().value() >= 1);
            assertTrue(registry.get("raft.commit.index").gauge().value() >= 20);
            assertTrue(registry.get("raft.applied.index").gauge().value() >= 20);
            assertTrue(registry.get("raft.last.index").gauge().value() >= 20);
            assertTrue(registry.get("raft.leader.changes").counter().count() >= 1);
            assertTrue(registry.get("raft.elections").counter().count() >= 1);
            assertTrue(registry.get("raft.append.sent").counter().count() >= 20);
            assertEquals(0, registry.get("raft.append.rejected").counter().count());
            assertTrue(registry.get("raft.fsync").timer().count() >= 20);
            assertEquals(20, registry.get("raft.proposal.commit").timer().count());
            assertTrue(registry.get("raft.transport.sent.bytes").tag("peer", follower(cluster, leader)).counter()
                    .count() > 0);
            registry.get("raft.transport.dropped").counters();
            registry.get("raft.snapshot.sends").counter();
            registry.get("raft.snapshot.installs").counter();
        }
    }

    @Test
    void aDamagedSnapshotFileStopsStartUpWithItsName() throws Exception {
        try (LocalCluster cluster = new LocalCluster(dir, 3, b -> { })) {
            cluster.startAll();
            applied(cluster.node(cluster.awaitLeader()), "x");
            cluster.stop("n1");
        }
        Path snapshots = dir.resolve("n1").resolve("raft").resolve("snapshots");
        io.raftkv.raft.storage.SnapshotDirectory store = io.raftkv.raft.storage.SnapshotDirectory.open(snapshots);
        io.raftkv.raft.storage.SnapshotFile file = store.write(io.raftkv.proto.raft.SnapshotMetadata.newBuilder()
                .setIndex(1).setTerm(1).build(), out -> out.write(new byte[5000]));
        java.nio.file.Files.write(file.path(), new byte[] {1, 2, 3}, java.nio.file.StandardOpenOption.APPEND);
        try (LocalCluster cluster = new LocalCluster(dir, 3, b -> { })) {
            java.io.UncheckedIOException e = org.junit.jupiter.api.Assertions.assertThrows(
                    java.io.UncheckedIOException.class, () -> cluster.start("n1"));
            assertInstanceOf(io.raftkv.raft.storage.CorruptStorageException.class, e.getCause());
            assertTrue(e.getCause().getMessage().contains(file.path().toString()), e.getCause().getMessage());
        }
    }

    private static String follower(LocalCluster cluster, String leader) {
        return cluster.runningIds().stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
    }

    @Test
    void proposalsBeyondTheLimitFailFast() throws Exception {
        try (LocalCluster cluster = new LocalCluster(dir, 3, b -> b.maxPendingProposals(4))) {
            cluster.startAll();
            String leader = cluster.awaitLeader();
            List<CompletableFuture<Proposal>> proposals = new ArrayList<>();
            for (int i = 0; i < 50; i++) {
                proposals.add(cluster.node(leader).propose(value("p" + i)));
            }
            int rejected = 0;
            int accepted = 0;
            for (CompletableFuture<Proposal> p : proposals) {
                try {
                    p.get(10, TimeUnit.SECONDS).applied().get(10, TimeUnit.SECONDS);
                    accepted++;
                } catch (ExecutionException e) {
                    assertInstanceOf(RejectedExecutionException.class, e.getCause());
                    rejected++;
                }
            }
            assertTrue(rejected > 0 && accepted >= 4, accepted + " accepted, " + rejected + " rejected");
            // Slots free up once proposals are applied.
            applied(cluster.node(leader), "later");
        }
    }
}
