package io.raftkv.raft.transport;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.raftkv.proto.raft.InstallSnapshotReply;
import io.raftkv.proto.raft.Message;
import io.raftkv.proto.raft.MessageBatch;
import io.raftkv.proto.raft.MessageType;
import io.raftkv.proto.raft.RaftTransportGrpc;
import io.raftkv.proto.raft.SendSummary;
import io.raftkv.proto.raft.SnapshotChunk;
import io.raftkv.raft.storage.SnapshotFile;
import io.raftkv.raft.storage.SnapshotStore;
import java.io.IOException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The receiving side of the Raft transport, registered on the gRPC server the embedding service owns. Messages go
 * straight to the node; snapshot chunks go to a temporary file, which is checked and made durable before the node
 * hears of it. Until the node has started, messages are dropped and snapshots refused.
 */
final class TransportService extends RaftTransportGrpc.RaftTransportImplBase {
    private static final Logger LOG = LoggerFactory.getLogger(TransportService.class);

    private final String selfId;
    private final Set<String> peers;
    private final Supplier<TransportListener> listener;
    private final Supplier<SnapshotStore> store;
    private final Counter messagesReceived;
    private final Counter misrouted;
    private final Counter snapshotBytesReceived;
    private final Set<InboundStream> open = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    TransportService(String selfId, Set<String> peers, Supplier<TransportListener> listener,
            Supplier<SnapshotStore> store, MeterRegistry registry) {
        this.selfId = selfId;
        this.peers = peers;
        this.listener = listener;
        this.store = store;
        this.messagesReceived = Counter.builder("raft.transport.received.messages")
                .description("Raft messages received from peers").register(registry);
        this.misrouted = Counter.builder("raft.transport.misrouted")
                .description("Messages dropped because they were not for this node or came from a stranger")
                .register(registry);
        this.snapshotBytesReceived = Counter.builder("raft.snapshot.received.bytes")
                .description("Bytes of snapshot files received").register(registry);
    }

    @Override
    public StreamObserver<MessageBatch> send(StreamObserver<SendSummary> responseObserver) {
        InboundStream stream = new InboundStream(responseObserver);
        open.add(stream);
        if (responseObserver instanceof ServerCallStreamObserver<SendSummary> call) {
            call.setOnCancelHandler(() -> open.remove(stream));
        }
        if (closed) {
            stream.end();
        }
        return stream;
    }

    /**
     * Ends the streams peers opened to this node (the node is stopping): the server that hosts this service can then
     * shut down at once instead of waiting for peers to hang up.
     */
    void close() {
        closed = true;
        for (InboundStream stream : open) {
            stream.end();
        }
    }

    /** One peer's Send stream into this node. */
    private final class InboundStream implements StreamObserver<MessageBatch> {
        private final StreamObserver<SendSummary> response;
        private long count;
        private boolean ended;

        InboundStream(StreamObserver<SendSummary> response) {
            this.response = response;
        }

        @Override
        public void onNext(MessageBatch batch) {
            TransportListener target = listener.get();
            for (Message m : batch.getMessagesList()) {
                count++;
                if (target == null || !m.getTo().equals(selfId) || !peers.contains(m.getFrom())) {
                    misrouted.increment();
                    continue;
                }
                messagesReceived.increment();
                target.onMessage(m);
            }
        }

        @Override
        public void onError(Throwable t) {
            open.remove(this); // the peer went away; it opens a new stream when it comes back
        }

        @Override
        public synchronized void onCompleted() {
            open.remove(this);
            if (!ended) {
                ended = true;
                response.onNext(SendSummary.newBuilder().setMessagesReceived(count).build());
                response.onCompleted();
            }
        }

        synchronized void end() {
            open.remove(this);
            if (!ended) {
                ended = true;
                try {
                    response.onError(Status.UNAVAILABLE.withDescription(selfId + " is stopping").asRuntimeException());
                } catch (RuntimeException e) {
                    // the call is already gone
                }
            }
        }
    }

    @Override
    public StreamObserver<SnapshotChunk> installSnapshot(StreamObserver<InstallSnapshotReply> responseObserver) {
        return new Receiver(responseObserver);
    }

    /** One incoming snapshot transfer. gRPC calls it serially, so it needs no locking. */
    private final class Receiver implements StreamObserver<SnapshotChunk> {
        private final StreamObserver<InstallSnapshotReply> response;
        private Message message;
        private SnapshotStore.Incoming incoming;
        private boolean failed;

        Receiver(StreamObserver<InstallSnapshotReply> response) {
            this.response = response;
        }

        @Override
        public void onNext(SnapshotChunk chunk) {
            if (failed) {
                return;
            }
            try {
                if (message == null) {
                    start(chunk);
                }
                incoming.write(chunk.getOffset(), chunk.getData());
                snapshotBytesReceived.increment(chunk.getData().size());
            } catch (IOException | RuntimeException e) {
                refuse(e.getMessage());
            }
        }

        private void start(SnapshotChunk chunk) throws IOException {
            Message m = chunk.getMessage();
            if (m.getType() != MessageType.MSG_SNAPSHOT || !m.hasSnapshot()) {
                throw new IOException("the first chunk does not carry a snapshot message");
            }
            if (!m.getTo().equals(selfId) || !peers.contains(m.getFrom())) {
                throw new IOException("snapshot from " + m.getFrom() + " to " + m.getTo() + " is not for " + selfId);
            }
            SnapshotStore snapshots = store.get();
            if (snapshots == null || listener.get() == null) {
                throw new IOException(selfId + " is not running");
            }
            message = m;
            incoming = snapshots.receive(m.getSnapshot());
        }

        private void refuse(String why) {
            failed = true;
            if (incoming != null) {
                incoming.close();
            }
            LOG.warn("refusing snapshot {} from {}: {}", message == null ? "?" : message.getSnapshot().getIndex(),
                    message == null ? "?" : message.getFrom(), why);
            try {
                response.onNext(InstallSnapshotReply.newBuilder().setAccepted(false)
                        .setError(why == null ? "failed" : why).build());
                response.onCompleted();
            } catch (RuntimeException e) {
                // the call is already gone
            }
        }

        @Override
        public void onError(Throwable t) {
            if (incoming != null) {
                incoming.close();
            }
        }

        @Override
        public void onCompleted() {
            if (failed) {
                return;
            }
            if (incoming == null) {
                refuse("the stream carried no chunks");
                return;
            }
            SnapshotFile file;
            try {
                file = incoming.finish();
            } catch (IOException | RuntimeException e) {
                refuse(e.getMessage());
                return;
            }
            TransportListener target = listener.get();
            if (target == null) {
                store.get().delete(file);
                refuse(selfId + " is not running");
                return;
            }
            target.onSnapshot(message, file);
            response.onNext(InstallSnapshotReply.newBuilder().setAccepted(true).build());
            response.onCompleted();
        }
    }
}
