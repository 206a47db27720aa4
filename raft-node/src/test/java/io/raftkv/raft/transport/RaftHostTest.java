package io.raftkv.raft.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raftkv.common.cli.HostPort;
import io.raftkv.common.grpc.GrpcServer;
import io.raftkv.proto.raft.Entry;
import io.raftkv.proto.raft.Message;
import io.raftkv.proto.raft.MessageType;
import io.raftkv.proto.raft.SnapshotMetadata;
import io.raftkv.raft.storage.SnapshotDirectory;
import io.raftkv.raft.storage.SnapshotFile;
import io.raftkv.testkit.Eventually;
import io.raftkv.testkit.Ports;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two processes' worth of Raft transport on loopback, each a {@link RaftHost} behind its own gRPC server running
 * several groups: traffic goes to the group it names and nowhere else, and a group the receiver does not run is
 * refused and counted.
 */
class RaftHostTest {
    @TempDir
    Path dir;

    private final Map<String, HostPort> members = Map.of(
            "a", new HostPort("127.0.0.1", Ports.freePort()),
            "b", new HostPort("127.0.0.1", Ports.freePort()));
    private final List<AutoCloseable> open = new ArrayList<>();

    /** One process: a host, its server, and the groups it runs. */
    final class Process {
        final RaftHost host = new RaftHost(TransportOptions.defaults(), new SimpleMeterRegistry());
        final GrpcServer server;

        Process(String id) throws IOException {
            server = GrpcServer.builder("127.0.0.1", members.get(id).port()).addService(host.service()).start();
            open.add(server);
            open.add(host);
        }

        Group run(String group, String id) throws IOException {
            Group g = new Group(this, group, id);
            open.add(0, g.transport); // closed before the host
            return g;
        }
    }

    /** One group's node in a process: its transport and what its listener heard. */
    final class Group implements TransportListener {
        final RaftTransport transport;
        final SnapshotDirectory store;
        final LinkedBlockingQueue<Message> messages = new LinkedBlockingQueue<>();
        final LinkedBlockingQueue<SnapshotFile> snapshots = new LinkedBlockingQueue<>();
        final LinkedBlockingQueue<Boolean> snapshotsSent = new LinkedBlockingQueue<>();
        final ConcurrentLinkedQueue<String> unreachable = new ConcurrentLinkedQueue<>();

        Group(Process process, String group, String id) throws IOException {
            transport = new RaftTransport(process.host, group, id, members, TransportOptions.defaults(),
                    new SimpleMeterRegistry());
            store = SnapshotDirectory.open(dir.resolve(group + "-" + id));
            transport.start(this, store);
        }

        @Override
        public void onMessage(Message message) {
            messages.add(message);
        }

        @Override
        public void onSnapshot(Message message, SnapshotFile file) {
            snapshots.add(file);
        }

        @Override
        public void onUnreachable(String peer) {
            unreachable.add(peer);
        }

        @Override
        public void onSnapshotSent(String peer, boolean success) {
            snapshotsSent.add(success);
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    private static Message append(long index, String tag) {
        return Message.newBuilder().setType(MessageType.MSG_APPEND).setFrom("a").setTo("b").setTerm(1)
                .setIndex(index).addEntries(Entry.newBuilder().setIndex(index + 1).setTerm(1)
                        .setData(ByteString.copyFromUtf8(tag))).build();
    }

    /** Sends until {@code receiver} has heard {@code count} messages (the first may be lost while streams open). */
    private static void sendUntilHeard(Group sender, Group receiver, String tag, int count) {
        long[] index = {0};
        Eventually.await(tag + " arrives", Duration.ofSeconds(10), () -> {
            sender.transport.send(append(index[0]++, tag));
            sender.transport.flush();
            return receiver.messages.size() >= count;
        });
    }

    @Test
    void eachGroupHearsOnlyItsOwnTraffic() throws Exception {
        Process pa = new Process("a");
        Process pb = new Process("b");
        Group a1 = pa.run("g1", "a");
        Group a2 = pa.run("g2", "a");
        Group b1 = pb.run("g1", "b");
        Group b2 = pb.run("g2", "b");

        sendUntilHeard(a1, b1, "for-g1", 20);
        sendUntilHeard(a2, b2, "for-g2", 20);

        for (Message m : b1.messages) {
            assertEquals("for-g1", m.getEntries(0).getData().toStringUtf8(), "g1 heard another group's message");
        }
        for (Message m : b2.messages) {
            assertEquals("for-g2", m.getEntries(0).getData().toStringUtf8(), "g2 heard another group's message");
        }
        assertEquals(1, pa.host.openChannels(), "both groups of a share one channel to b");
        assertEquals(java.util.Set.of("g1", "g2"), pb.host.runningGroups());
        assertEquals(0, pb.host.unknownGroupRefusals());
    }

    @Test
    void aBatchForAGroupTheProcessDoesNotRunIsRefusedAndCounted() throws Exception {
        Process pa = new Process("a");
        Process pb = new Process("b");
        Group a1 = pa.run("g1", "a");
        Group a3 = pa.run("g3", "a");
        Group b1 = pb.run("g1", "b");

        Eventually.await("b refuses g3's batches", Duration.ofSeconds(10), () -> {
            a3.transport.send(append(1, "for-g3"));
            a3.transport.flush();
            return pb.host.unknownGroupRefusals() > 0;
        });
        Eventually.await("a's g3 hears that b is unreachable for it", Duration.ofSeconds(10),
                () -> !a3.unreachable.isEmpty());
        sendUntilHeard(a1, b1, "for-g1", 5);
        for (Message m : b1.messages) {
            assertEquals("for-g1", m.getEntries(0).getData().toStringUtf8(), "g3's traffic reached g1");
        }
    }

    @Test
    void aSnapshotInstallsOnlyIntoTheGroupItNames() throws Exception {
        Process pa = new Process("a");
        Process pb = new Process("b");
        Group a1 = pa.run("g1", "a");
        Group a3 = pa.run("g3", "a");
        Group b1 = pb.run("g1", "b");
        Group b2 = pb.run("g2", "b");
        SnapshotMetadata meta = SnapshotMetadata.newBuilder().setIndex(9).setTerm(2).build();
        Message message = Message.newBuilder().setType(MessageType.MSG_SNAPSHOT).setFrom("a").setTo("b").setTerm(2)
                .setSnapshot(meta).build();

        a1.transport.sendSnapshot(message, a1.store.write(meta, out -> out.write(new byte[4096])));
        assertEquals(Boolean.TRUE, a1.snapshotsSent.poll(30, TimeUnit.SECONDS));
        SnapshotFile received = b1.snapshots.poll(10, TimeUnit.SECONDS);
        assertEquals(meta, received.metadata());
        assertTrue(received.path().startsWith(b1.store.dir()), "the file is in g1's own store: " + received.path());
        assertNull(b2.snapshots.poll(200, TimeUnit.MILLISECONDS), "g2 got g1's snapshot");

        a3.transport.sendSnapshot(message, a3.store.write(meta, out -> out.write(new byte[4096])));
        assertEquals(Boolean.FALSE, a3.snapshotsSent.poll(30, TimeUnit.SECONDS), "a snapshot for g3 was accepted");
        assertNull(b1.snapshots.poll(200, TimeUnit.MILLISECONDS));
        assertNull(b2.snapshots.poll(200, TimeUnit.MILLISECONDS));
        assertTrue(pb.host.unknownGroupRefusals() > 0);
    }

    @Test
    void aGroupRunsOncePerProcessAndGroupIdsAreChecked() throws Exception {
        Process pa = new Process("a");
        pa.run("g1", "a");
        assertThrows(IllegalStateException.class, () -> pa.run("g1", "a"));
        assertThrows(IllegalArgumentException.class, () -> RaftHost.checkGroupId("../g1"));
        assertThrows(IllegalArgumentException.class, () -> RaftHost.checkGroupId(""));
        assertEquals("g-1.a_b", RaftHost.checkGroupId("g-1.a_b"));
    }
}
