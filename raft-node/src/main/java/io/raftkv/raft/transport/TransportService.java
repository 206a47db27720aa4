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
import io.raftkv.raft.storage.SnapshotDirectory;
import io.raftkv.raft.storage.SnapshotFile;
import java.io.IOException;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The receiving side of the Raft transport of a whole process, registered once on the process's gRPC server. Each
 * batch and each snapshot transfer names its group, and goes to that group's running node ({@link GroupRoute}) and
 * nowhere else: a batch for a group this process does not run ends its stream with NOT_FOUND (and is counted), and a
 * snapshot for one is refused. Snapshot chunks go to a temporary file of the group's own store, which is checked and
 * made durable before the node hears of it.
 */
final class TransportService extends RaftTransportGrpc.RaftTransportImplBase {
    private static final Logger LOG = LoggerFactory.getLogger(TransportService.class);

    private final ConcurrentHashMap<String, GroupRoute> routes = new ConcurrentHashMap<>();
    private final Set<InboundStream> open = ConcurrentHashMap.newKeySet();
    private final Counter unknownGroup;
    private volatile boolean closed;

    TransportService(MeterRegistry registry) {
        this.unknownGroup = Counter.builder("raft.transport.unknown.group")
                .description("Message batches and snapshot transfers refused because they named a Raft group this"
                        + " process does not run").register(registry);
    }

    /** Starts delivering the group's traffic to its node. */
    void register(GroupRoute route) {
        if (closed) {
            throw new IllegalStateException("the process's Raft transport is closed");
        }
        if (routes.putIfAbsent(route.group, route) != null) {
            throw new IllegalStateException("Raft group " + route.group + " already runs in this process");
        }
    }

    /** Stops delivering to the group (its node is stopping) and ends the streams its peers opened. */
    void unregister(GroupRoute route) {
        if (routes.remove(route.group, route)) {
            for (InboundStream stream : open) {
                if (route.group.equals(stream.group)) {
                    stream.end(Status.UNAVAILABLE.withDescription("Raft group " + route.group + " of "
                            + route.selfId + " is stopping"));
                }
            }
        }
    }

    /** The groups whose traffic is being delivered, sorted. */
    Set<String> groups() {
        return new TreeSet<>(routes.keySet());
    }

    long unknownGroupRefusals() {
        return (long) unknownGroup.count();
    }

    /** Ends every stream peers opened (the process is stopping), so the server can shut down at once. */
    void close() {
        closed = true;
        for (InboundStream stream : open) {
            stream.end(Status.UNAVAILABLE.withDescription("the process is stopping"));
        }
    }

    private Status unknown(String group) {
        unknownGroup.increment();
        return Status.NOT_FOUND.withDescription("Raft group '" + group + "' does not run in this process (it runs "
                + groups() + ")");
    }

    @Override
    public StreamObserver<MessageBatch> send(StreamObserver<SendSummary> responseObserver) {
        InboundStream stream = new InboundStream(responseObserver);
        open.add(stream);
        if (responseObserver instanceof ServerCallStreamObserver<SendSummary> call) {
            call.setOnCancelHandler(() -> open.remove(stream));
        }
        if (closed) {
            stream.end(Status.UNAVAILABLE.withDescription("the process is stopping"));
        }
        return stream;
    }

    /** One peer group's Send stream into this process. */
    private final class InboundStream implements StreamObserver<MessageBatch> {
        private final StreamObserver<SendSummary> response;
        private long count;
        private boolean ended;
        /** The group the stream's batches named (for ending the streams of a group that stops). */
        volatile String group;

        InboundStream(StreamObserver<SendSummary> response) {
            this.response = response;
        }

        @Override
        public void onNext(MessageBatch batch) {
            GroupRoute route = routes.get(batch.getGroup());
            if (route == null) {
                end(unknown(batch.getGroup()));
                return;
            }
            group = route.group;
            if (!route.admitsCluster(batch.getClusterId())) {
                end(Status.FAILED_PRECONDITION.withDescription("group " + route.group + " of " + route.selfId
                        + " belongs to cluster " + route.clusterId() + ", not " + batch.getClusterId()));
                return;
            }
            for (Message m : batch.getMessagesList()) {
                count++;
                route.deliver(m);
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

        synchronized void end(Status status) {
            open.remove(this);
            if (!ended) {
                ended = true;
                try {
                    response.onError(status.asRuntimeException());
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
        private GroupRoute route;
        private Message message;
        private SnapshotDirectory.Incoming incoming;
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
                route.snapshotBytes(chunk.getData().size());
            } catch (IOException | RuntimeException e) {
                refuse(e.getMessage());
            }
        }

        /** Binds the transfer to the group the first chunk names, and to that group's store. */
        private void start(SnapshotChunk chunk) throws IOException {
            Message m = chunk.getMessage();
            if (m.getType() != MessageType.MSG_SNAPSHOT || !m.hasSnapshot()) {
                throw new IOException("the first chunk does not carry a snapshot message");
            }
            GroupRoute target = routes.get(chunk.getGroup());
            if (target == null) {
                throw new IOException(unknown(chunk.getGroup()).getDescription());
            }
            if (!target.admitsCluster(chunk.getClusterId())) {
                throw new IOException("group " + target.group + " of " + target.selfId + " belongs to cluster "
                        + target.clusterId() + ", not " + chunk.getClusterId());
            }
            if (!target.accepts(m)) {
                throw new IOException("snapshot from " + m.getFrom() + " to " + m.getTo() + " is not for "
                        + target.selfId + " of group " + target.group);
            }
            route = target;
            message = m;
            incoming = target.store.receive(m.getSnapshot());
        }

        private void refuse(String why) {
            failed = true;
            if (incoming != null) {
                incoming.close();
            }
            LOG.warn("refusing snapshot {} from {} for group {}: {}",
                    message == null ? "?" : message.getSnapshot().getIndex(),
                    message == null ? "?" : message.getFrom(), route == null ? "?" : route.group, why);
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
            if (routes.get(route.group) != route) {
                route.store.delete(file);
                refuse("Raft group " + route.group + " of " + route.selfId + " stopped during the transfer");
                return;
            }
            route.listener.onSnapshot(message, file);
            response.onNext(InstallSnapshotReply.newBuilder().setAccepted(true).build());
            response.onCompleted();
        }
    }
}
