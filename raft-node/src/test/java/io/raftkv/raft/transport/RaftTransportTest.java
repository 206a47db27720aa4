package io.raftkv.raft.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raftkv.common.cli.HostPort;
import io.raftkv.common.grpc.GrpcServer;
import io.raftkv.proto.raft.ConfState;
import io.raftkv.proto.raft.Entry;
import io.raftkv.proto.raft.Message;
import io.raftkv.proto.raft.MessageType;
import io.raftkv.proto.raft.SnapshotMetadata;
import io.raftkv.raft.storage.SnapshotDirectory;
import io.raftkv.raft.storage.SnapshotFile;
import io.raftkv.testkit.Eventually;
import io.raftkv.testkit.Ports;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two transports on loopback, each behind its own gRPC server, with listeners that record what arrives. */
class RaftTransportTest {
    @TempDir
    Path dir;

    private final Map<String, HostPort> members = Map.of(
            "a", new HostPort("127.0.0.1", Ports.freePort()),
            "b", new HostPort("127.0.0.1", Ports.freePort()));
    private Endpoint a;
    private Endpoint b;

    /** One node's side: transport, server, snapshot store, and what its listener heard. */
    final class Endpoint implements TransportListener {
        final String id;
        final RaftHost host;
        final RaftTransport transport;
        final GrpcServer server;
        final SnapshotDirectory store;
        final LinkedBlockingQueue<Message> messages = new LinkedBlockingQueue<>();
        final LinkedBlockingQueue<SnapshotFile> snapshots = new LinkedBlockingQueue<>();
        final LinkedBlockingQueue<Boolean> snapshotsSent = new LinkedBlockingQueue<>();
        final ConcurrentLinkedQueue<String> unreachable = new ConcurrentLinkedQueue<>();
        volatile CountDownLatch gate;

        Endpoint(String id, TransportOptions options, int serverMaxMessage) throws IOException {
            this.id = id;
            this.host = new RaftHost(options, new SimpleMeterRegistry());
            this.transport = new RaftTransport(host, "g", id, members, options, new SimpleMeterRegistry());
            this.server = GrpcServer.builder("127.0.0.1", members.get(id).port())
                    .maxInboundMessageBytes(serverMaxMessage)
                    .addService(host.service())
                    .start();
            this.store = SnapshotDirectory.open(dir.resolve(id + "-" + System.nanoTime()));
            transport.start(this, store);
        }

        @Override
        public void onMessage(Message message) {
            CountDownLatch g = gate;
            if (g != null) {
                try {
                    g.await(); // a peer that does not keep up
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
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

        void close() {
            CountDownLatch g = gate;
            if (g != null) {
                g.countDown();
            }
            transport.close();
            host.close();
            server.close();
        }
    }

    @AfterEach
    void tearDown() {
        if (a != null) {
            a.close();
        }
        if (b != null) {
            b.close();
        }
    }

    private static Message append(String from, String to, long index, int dataBytes) {
        return Message.newBuilder().setType(MessageType.MSG_APPEND).setFrom(from).setTo(to).setTerm(1)
                .setIndex(index).addEntries(Entry.newBuilder().setIndex(index + 1).setTerm(1)
                        .setData(ByteString.copyFrom(new byte[dataBytes]))).build();
    }

    @Test
    void messagesArriveInOrder() throws Exception {
        a = new Endpoint("a", TransportOptions.defaults(), 8 << 20);
        b = new Endpoint("b", TransportOptions.defaults(), 8 << 20);
        for (int i = 0; i < 2000; i++) {
            assertTrue(a.transport.send(append("a", "b", i, 100)) || i > 0);
            if (i % 50 == 0) {
                a.transport.flush();
            }
        }
        a.transport.flush();
        // The first messages may be dropped while the stream connects; after that, order is preserved.
        Eventually.await("messages arrive", Duration.ofSeconds(10), () -> b.messages.size() > 0);
        Eventually.await("the last message arrives", Duration.ofSeconds(10),
                () -> b.messages.stream().anyMatch(m -> m.getIndex() == 1999));
        long previous = -1;
        for (Message m : b.messages) {
            assertTrue(m.getIndex() > previous, "in order");
            previous = m.getIndex();
            assertEquals("a", m.getFrom());
        }
    }

    @Test
    void aLargeSnapshotTravelsInChunks() throws Exception {
        int chunk = 64 * 1024;
        // The receiving server refuses gRPC messages above 256 KiB: only a chunked transfer can get through.
        a = new Endpoint("a", TransportOptions.defaults().withSnapshotChunkBytes(chunk), 8 << 20);
        b = new Endpoint("b", TransportOptions.defaults(), 256 * 1024);
        byte[] body = new byte[5_000_000];
        new Random(7).nextBytes(body);
        SnapshotMetadata meta = SnapshotMetadata.newBuilder().setIndex(77).setTerm(3)
                .setConfState(ConfState.newBuilder().addVoters("a").addVoters("b")).build();
        SnapshotFile file = a.store.write(meta, out -> out.write(body));
        Message message = Message.newBuilder().setType(MessageType.MSG_SNAPSHOT).setFrom("a").setTo("b").setTerm(3)
                .setSnapshot(meta).build();
        a.transport.sendSnapshot(message, file);
        assertEquals(Boolean.TRUE, a.snapshotsSent.poll(30, TimeUnit.SECONDS));
        SnapshotFile received = b.snapshots.poll(10, TimeUnit.SECONDS);
        assertEquals(meta, received.metadata());
        try (InputStream in = received.openBody()) {
            assertArrayEquals(body, in.readAllBytes());
        }
        assertArrayEquals(Files.readAllBytes(file.path()), Files.readAllBytes(received.path()));
    }

    @Test
    void aSnapshotToANodeThatIsNotRunningFails() throws Exception {
        a = new Endpoint("a", TransportOptions.defaults(), 8 << 20);
        SnapshotMetadata meta = SnapshotMetadata.newBuilder().setIndex(5).setTerm(1).build();
        SnapshotFile file = a.store.write(meta, out -> out.write(new byte[1000]));
        a.transport.sendSnapshot(Message.newBuilder().setType(MessageType.MSG_SNAPSHOT).setFrom("a").setTo("b")
                .setSnapshot(meta).build(), file);
        assertEquals(Boolean.FALSE, a.snapshotsSent.poll(30, TimeUnit.SECONDS));
    }

    @Test
    void messagesFlowAgainAfterThePeerRestarts() throws Exception {
        TransportOptions options = TransportOptions.defaults();
        a = new Endpoint("a", options, 8 << 20);
        b = new Endpoint("b", options, 8 << 20);
        AtomicInteger index = new AtomicInteger();
        Eventually.await("b hears from a", Duration.ofSeconds(10), () -> {
            a.transport.send(append("a", "b", index.incrementAndGet(), 10));
            a.transport.flush();
            return !b.messages.isEmpty();
        });
        b.close();
        b = null;
        Eventually.await("a notices b is gone", Duration.ofSeconds(10), () -> {
            a.transport.send(append("a", "b", index.incrementAndGet(), 10));
            a.transport.flush();
            return a.unreachable.contains("b");
        });
        b = new Endpoint("b", options, 8 << 20);
        Eventually.await("b hears from a again", Duration.ofSeconds(10), () -> {
            a.transport.send(append("a", "b", index.incrementAndGet(), 10));
            a.transport.flush();
            return !b.messages.isEmpty();
        });
    }

    @Test
    void aPeerThatDoesNotKeepUpCostsABoundedQueue() throws Exception {
        long cap = 256 * 1024;
        a = new Endpoint("a", TransportOptions.defaults().withQueueLimits(cap, 1000), 8 << 20);
        b = new Endpoint("b", TransportOptions.defaults(), 8 << 20);
        Eventually.await("the stream is up", Duration.ofSeconds(10), () -> {
            a.transport.send(append("a", "b", 0, 10));
            a.transport.flush();
            return !b.messages.isEmpty();
        });
        CountDownLatch gate = new CountDownLatch(1);
        b.gate = gate; // b stops reading
        int refused = 0;
        long maxQueued = 0;
        for (int i = 1; i <= 2000; i++) {
            if (!a.transport.send(append("a", "b", i, 10_000))) {
                refused++;
            }
            a.transport.flush();
            maxQueued = Math.max(maxQueued, a.transport.queuedBytes("b"));
        }
        assertTrue(refused > 0, "messages beyond the bound are refused");
        assertTrue(maxQueued <= cap, "queued " + maxQueued + " bytes, bound " + cap);
        assertTrue(a.transport.droppedMessages("b") >= refused);
        gate.countDown(); // b catches up
        b.gate = null;
        Eventually.await("queued messages drain", Duration.ofSeconds(10), () -> a.transport.queuedBytes("b") == 0);
        int before = b.messages.size();
        Eventually.await("new messages get through", Duration.ofSeconds(10), () -> {
            a.transport.send(append("a", "b", 5000, 10));
            a.transport.flush();
            return b.messages.size() > before;
        });
        assertFalse(b.messages.isEmpty());
        System.out.printf("slow peer: %d of 2000 messages refused, at most %d bytes queued (bound %d)%n", refused,
                maxQueued, cap);
    }
}
