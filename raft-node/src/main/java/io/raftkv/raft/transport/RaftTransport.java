package io.raftkv.raft.transport;

import io.grpc.ManagedChannel;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.raftkv.common.cli.HostPort;
import io.raftkv.common.faults.NetworkFaults;
import io.raftkv.proto.raft.Message;
import io.raftkv.proto.raft.MessageType;
import io.raftkv.proto.raft.RaftTransportGrpc;
import io.raftkv.raft.storage.SnapshotDirectory;
import io.raftkv.raft.storage.SnapshotFile;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
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
 * <p>The peers can change while it runs ({@link #connect}): a membership change adds a link to a new member and
 * closes the link to a removed one.
 *
 * <p>Lifecycle: construct from the host, {@link #start} once the node can take messages, {@link #close} last.
 */
public final class RaftTransport implements MessageSink, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RaftTransport.class);

    private final RaftHost host;
    private final String group;
    private final String selfId;
    /** The peers this node talks to by id, without itself. */
    private Map<String, HostPort> addresses;
    private final TransportOptions options;
    private final MeterRegistry registry;
    private final ClusterIdentity cluster;
    /** Written under this object's lock; read without it by the node's thread as it sends (and by metrics). */
    private final Map<String, PeerLink> links = new ConcurrentHashMap<>();
    private TransportListener target;
    private final ExecutorService snapshotSenders;
    private final Counter snapshotBytesSent;
    private volatile TransportListener listener;
    private GroupRoute route;
    private volatile boolean closed;
    /** A test's network faults between peers, or null (always, outside such tests). */
    private final FaultyNetwork faults;

    /**
     * @param group the group's id ({@link RaftHost#checkGroupId})
     * @param members the members of the group by id it starts with (this node's own entry, if any, is ignored)
     * @param registry the group's registry (its meters carry the group's tag)
     */
    public RaftTransport(RaftHost host, String group, String selfId, Map<String, HostPort> members,
            TransportOptions options, MeterRegistry registry) {
        this(host, group, selfId, members, options, registry, new ClusterIdentity(""));
    }

    /** @param cluster the cluster this node belongs to: stamped on what it sends, checked on what it receives */
    public RaftTransport(RaftHost host, String group, String selfId, Map<String, HostPort> members,
            TransportOptions options, MeterRegistry registry, ClusterIdentity cluster) {
        this.cluster = cluster;
        this.host = host;
        this.group = RaftHost.checkGroupId(group);
        this.selfId = selfId;
        this.addresses = withoutSelf(members);
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
        this.faults = NetworkFaults.PROCESS == null ? null
                : new FaultyNetwork(NetworkFaults.PROCESS, group + "-" + selfId, registry);
    }

    public String group() {
        return group;
    }

    /** Connects to the peers and starts taking this group's inbound traffic to {@code target}. */
    public synchronized void start(TransportListener target, SnapshotDirectory snapshots) {
        if (closed) {
            throw new IllegalStateException("the transport is closed");
        }
        GroupRoute inbound = new GroupRoute(group, selfId, cluster, addresses.keySet(), target, snapshots, registry);
        host.transportService().register(inbound); // first: a group that already runs here takes nothing
        this.route = inbound;
        this.target = target;
        addresses.forEach(this::link);
        this.listener = target;
    }

    /**
     * Makes {@code members} (by id; this node's own entry is ignored) the peers: links to new ones open, and links to
     * those no longer listed or at a new address close. Never blocks.
     */
    @Override
    public void connect(Map<String, String> members) {
        Map<String, HostPort> parsed = new LinkedHashMap<>();
        members.forEach((peer, address) -> {
            try {
                parsed.put(peer, HostPort.parse(address));
            } catch (IllegalArgumentException e) {
                LOG.warn("{}/{}: member {} has the address '{}', which cannot be used: {}", group, selfId, peer,
                        address, e.getMessage());
            }
        });
        connectTo(parsed);
    }

    /** {@link #connect} with parsed addresses. */
    public synchronized void connectTo(Map<String, HostPort> members) {
        Map<String, HostPort> next = withoutSelf(members);
        if (closed || next.equals(addresses)) {
            return;
        }
        Map<String, HostPort> previous = addresses;
        addresses = next;
        if (route == null) {
            return; // not started: start links them
        }
        route.alsoAcceptFrom(next.keySet());
        previous.forEach((peer, address) -> {
            if (!address.equals(next.get(peer))) {
                unlink(peer, address);
            }
        });
        next.forEach((peer, address) -> {
            if (!address.equals(previous.get(peer))) {
                link(peer, address);
            }
        });
        LOG.info("{}/{}: peers are now {}", group, selfId, PeerAddresses.format(next));
    }

    private void link(String peer, HostPort address) {
        ManagedChannel channel = host.channels().acquire(address);
        links.put(peer, new PeerLink(group, cluster, peer, channel, options, target::onUnreachable, registry));
    }

    private void unlink(String peer, HostPort address) {
        PeerLink link = links.remove(peer);
        if (link != null) {
            link.close();
            host.channels().release(address);
        }
    }

    private Map<String, HostPort> withoutSelf(Map<String, HostPort> members) {
        Map<String, HostPort> peers = new LinkedHashMap<>(members);
        peers.remove(selfId);
        return Map.copyOf(peers);
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
        if (link == null) {
            return false;
        }
        return faults == null ? link.enqueue(message) : faults.send(link, message);
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
        if (link == null || target == null || closed || (faults != null && faults.silenced())) {
            if (target != null) {
                target.onSnapshotSent(message.getTo(), false);
            }
            return;
        }
        try {
            var channel = file.openFile();
            snapshotSenders.execute(new SnapshotSender(group, cluster, message.getTo(), message, channel,
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
        snapshotSenders.shutdownNow();
        if (faults != null) {
            faults.close();
        }
        addresses.forEach(this::unlink);
        try {
            snapshotSenders.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
