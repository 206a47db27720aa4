package io.raftkv.raft.testnode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.raft.testnode.proto.Outcome;
import io.raftkv.raft.testnode.proto.ProposeReply;
import io.raftkv.raft.testnode.proto.ProposeRequest;
import io.raftkv.raft.testnode.proto.StatusReply;
import io.raftkv.raft.testnode.proto.StatusRequest;
import io.raftkv.testkit.Eventually;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A follower kept down while the leader's state grows past 100 MB and its log is compacted comes back and catches up
 * through a streamed snapshot of the whole state.
 *
 * <p>Every node runs with a 96 MB heap ({@code -Xmx96m}): a snapshot larger than the heap can only get across if
 * neither side ever holds it whole in memory (the leader reads its snapshot file one chunk at a time as gRPC flow
 * control allows; the follower writes chunks to a file as they arrive and restores from that file as a stream). The
 * leader's peak heap use during the transfer is reported too.
 */
class LargeSnapshotCatchUpTest {
    private static final int PAD = 4 << 20;
    private static final int PADS = 26; // 104 MiB of state

    @TempDir
    Path dir;

    @Test
    void aFollowerBehindTheCompactedLogCatchesUpThroughAStreamedSnapshot() throws Exception {
        try (ProcessCluster cluster = new ProcessCluster(dir, 3,
                List.of("--max-raft-state", "262144", "--catch-up-entries", "100")).jvmArgs("-Xmx96m")) {
            cluster.startAll();
            String leader = cluster.awaitLeader(Duration.ofSeconds(30));
            String follower = cluster.ids().stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
            assertEquals(Outcome.OK, propose(cluster, leader, ProposeRequest.newBuilder().setValue("first").build()));
            Eventually.await("the follower applies the first value", Duration.ofSeconds(10),
                    () -> cluster.status(follower).getValues() == 1);
            long followerLast = cluster.status(follower).getLastIndex();
            cluster.kill(follower);

            for (int i = 0; i < PADS; i++) {
                assertEquals(Outcome.OK, propose(cluster, leader, ProposeRequest.newBuilder().setPadBytes(PAD).build()));
            }
            int values = 1;
            while (cluster.status(leader).getFirstIndex() <= followerLast + 1) {
                for (int i = 0; i < 100; i++) {
                    assertEquals(Outcome.OK, propose(cluster, leader,
                            ProposeRequest.newBuilder().setValue("value-" + values + "-" + "x".repeat(200)).build()));
                    values++;
                }
            }
            StatusReply before = cluster.status(leader, StatusRequest.newBuilder().setResetHeapPeak(true).build());
            System.out.printf("leader %s: state %d bytes, log starts at %d (the follower's log ends at %d), heap %d of"
                    + " %d bytes%n", leader, before.getStateBytes(), before.getFirstIndex(), followerLast,
                    before.getHeapUsed(), before.getHeapMax());
            assertTrue(before.getStateBytes() >= 100L << 20, "the state is at least 100 MiB");

            long start = System.nanoTime();
            cluster.start(follower);
            cluster.awaitUp(follower);
            int expectedValues = values;
            Eventually.await("the follower catches up", Duration.ofSeconds(180), () -> {
                StatusReply f = cluster.status(follower);
                return f != null && f.getValues() == expectedValues;
            });
            long seconds = (System.nanoTime() - start) / 1_000_000_000L;

            StatusReply lead = cluster.status(leader, StatusRequest.newBuilder().setDigest(true).build());
            StatusReply caught = cluster.status(follower, StatusRequest.newBuilder().setDigest(true).build());
            Eventually.await("the follower's state matches the leader's", Duration.ofSeconds(30), () -> {
                StatusReply l = cluster.status(leader, StatusRequest.newBuilder().setDigest(true).build());
                StatusReply f = cluster.status(follower, StatusRequest.newBuilder().setDigest(true).build());
                return l.getDigestIndex() == f.getDigestIndex() && l.getStateCrc() == f.getStateCrc();
            });
            assertTrue(lead.getSnapshotsSent() >= 1, "the leader sent a snapshot");
            assertTrue(caught.getSnapshotsInstalled() >= 1, "the follower installed a snapshot");
            assertTrue(caught.getStateBytes() >= 100L << 20, "the follower has the whole state");
            assertEquals(cluster.applied(leader), cluster.applied(follower));
            System.out.printf("follower %s caught up in %d s through a snapshot of %d bytes; leader heap: peak %d"
                    + " bytes during the transfer, max %d (a whole snapshot could not fit)%n", follower, seconds,
                    caught.getStateBytes(), lead.getHeapPeak(), lead.getHeapMax());
            assertTrue(lead.getHeapMax() < caught.getStateBytes(), "the heap is smaller than the snapshot");
            assertTrue(lead.getHeapPeak() < caught.getStateBytes(), "the heap never held the snapshot");
        }
    }

    private static Outcome propose(ProcessCluster cluster, String id, ProposeRequest request) {
        ProposeReply reply = cluster.propose(id, request, Duration.ofSeconds(30));
        if (reply.getOutcome() != Outcome.OK) {
            System.out.println("proposal failed: " + reply);
        }
        return reply.getOutcome();
    }
}
