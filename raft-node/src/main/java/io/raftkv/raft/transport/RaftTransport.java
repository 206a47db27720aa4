package io.raftkv.raft.transport;

import io.grpc.ManagedChannel;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.raftkv.common.cli.HostPort;
import io.raftkv.proto.raft.Message;
import io.raftkv.proto.raft.MessageType;
import io.raftkv.proto.raft.RaftTransportGrpc;
import io.raftkv.raft.storage.SnapshotDirectory;
import io.raftkv.raft.storage.SnapshotFile;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gRPC transport of one group's node: a {@link PeerLink} (bounded queue and long-lived Send stream) per peer for
 * messages, a {@link SnapshotSender} thread per snapshot transfer, both naming the group, over channels the
 * process's {@link RaftHost} shares among its groups. What peers send arrives through the host's one service, which
 * hands this group's traffic to the listener given to {@link #start}.
 *
 * <p>Lifecycle: construct from the host, {@link #start} once the node can take messages, {@link #close} last.
 */
public final class RaftTransport implements MessageSink, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RaftTransport.class);

    private final RaftHost host;
    private final String group;
    private final String selfId;
    private final Map<String, HostPort> addresses;
    private final TransportOptions options;
    private final MeterRegistry registry;
    private final Map<String, PeerLink> links = new LinkedHashMap<>();
    private final ExecutorService snapshotSenders;
    private final Counter snapshotBytesSent;
    private volatile TransportListener listener;
    private GroupRoute route;
    private volatile boolean closed;

    /**
     * @param group the group's id ({@link RaftHost#checkGroupId})
     * @param members every member of the group by id, this node included (its own address is where it listens)
     * @param registry the group's registry (its meters carry the group's tag)
     */
    public RaftTransport(RaftHost host, String group, String selfId, Map<String, HostPort> members,
            TransportOptions options, MeterRegistry registry) {
        if (!members.containsKey(selfId)) {
            throw new IllegalArgumentException(selfId + " is not one of the members " + members.keySet());
        }
        this.host = host;
        this.group = RaftHost.checkGroupId(group);
        this.selfId = selfId;
        this.addresses = Map.copyOf(members);
        this.options = options;
        this.registry = registry;
        this.snapshotBytesSent = Counter.builder("raft.snapshot.sent.bytes")
                .description("Bytes of snapshot files sent to peers").register(registry);
        AtomicInteger threads = new AtomicInteger();
        this.snapshotSenders = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "raft-" + group + "-" + selfId + "-snapshot-send-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    public String group() {
        return group;
    }

    /** Connects to the peers and starts taking this group's inbound traffic to {@code target}. */
    public synchronized void start(TransportListener target, SnapshotDirectory snapshots) {
        if (closed) {
            throw new IllegalStateException("the transport is closed");
        }
        GroupRoute inbound = new GroupRoute(group, selfId, addresses.keySet(), target, snapshots, registry);
        host.transportService().register(inbound); // first: a group that already runs here takes nothing
        this.route = inbound;
        for (Map.Entry<String, HostPort> e : addresses.entrySet()) {
            if (e.getKey().equals(selfId) || links.containsKey(e.getKey())) {
                continue;
            }
            ManagedChannel channel = host.channels().acquire(e.getValue());
            links.put(e.getKey(), new PeerLink(group, e.getKey(), channel, options, target::onUnreachable,
                    registry));
        }
        this.listener = target;
    }

    /**
     * Queues a message for its receiver (call {@link #flush} after a batch). Returns false if it was dropped: the
     * peer's queue is full or the peer is unreachable; the caller should report the peer unreachable to its core.
     * Snapshot messages go through {@link #sendSnapshot}.
     */
    @Override
    public boolean send(Message message) {
        if (message.getType() == MessageType.MSG_SNAPSHOT) {
            throw new IllegalArgumentException("snapshot messages go through sendSnapshot");
        }
        PeerLink link = links.get(message.getTo());
        return link != null && link.enqueue(message);
    }

    /** Pushes the queued messages of every peer onto their streams. Never blocks. */
    @Override
    public void flush() {
        for (PeerLink link : links.values()) {
            link.flush();
        }
    }

    /**
     * Streams a snapshot file to {@code message.to} on a separate thread, then reports the outcome through
     * {@link TransportListener#onSnapshotSent} (always, exactly once). The file is opened before this returns, so the
     * caller may delete it afterwards.
     */
    @Override
    public void sendSnapshot(Message message, SnapshotFile file) {
        PeerLink link = links.get(message.getTo());
        TransportListener target = listener;
        if (link == null || target == null || closed) {
            if (target != null) {
                target.onSnapshotSent(message.getTo(), false);
            }
            return;
        }
        try {
            var channel = file.openFile();
            snapshotSenders.execute(new SnapshotSender(group, message.getTo(), message, channel,
                    RaftTransportGrpc.newStub(link.channel()), options, target, snapshotBytesSent));
        } catch (IOException | RejectedExecutionException e) {
            LOG.warn("{}: cannot send snapshot {} to {}: {}", group, file.index(), message.getTo(), e.toString());
            target.onSnapshotSent(message.getTo(), false);
        }
    }

    /** Bytes waiting in the queue to {@code peer} (for tests and metrics). */
    public long queuedBytes(String peer) {
        PeerLink link = links.get(peer);
        return link == null ? 0 : link.queuedBytes();
    }

    /** Messages to {@code peer} dropped so far. */
    public long droppedMessages(String peer) {
        PeerLink link = links.get(peer);
        return link == null ? 0 : link.droppedCount();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        listener = null;
        if (route != null) {
            host.transportService().unregister(route);
        }
        for (PeerLink link : links.values()) {
            link.close();
        }
        snapshotSenders.shutdownNow();
        for (Map.Entry<String, PeerLink> e : links.entrySet()) {
            host.channels().release(addresses.get(e.getKey()));
        }
        try {
            snapshotSenders.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
