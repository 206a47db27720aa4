package io.raftkv.raft.transport;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.raftkv.proto.raft.Message;
import io.raftkv.raft.storage.SnapshotDirectory;
import java.util.Set;

/**
 * Where the process's transport service delivers what arrives for one group: the group's running node (its listener
 * and snapshot store), who it is in the group, and who may send to it. Counters carry the group's tag (they are
 * registered in the group's registry).
 */
final class GroupRoute {
    final String group;
    final String selfId;
    private final ClusterIdentity cluster;
    /** Who may send to this node: it grows as members are added. */
    private volatile Set<String> peers;
    final TransportListener listener;
    final SnapshotDirectory store;
    private final Counter received;
    private final Counter misrouted;
    private final Counter foreign;
    private final Counter snapshotBytesReceived;

    GroupRoute(String group, String selfId, ClusterIdentity cluster, Set<String> peers, TransportListener listener,
            SnapshotDirectory store, MeterRegistry registry) {
        this.group = group;
        this.selfId = selfId;
        this.cluster = cluster;
        this.peers = Set.copyOf(peers);
        this.listener = listener;
        this.store = store;
        this.received = Counter.builder("raft.transport.received.messages")
                .description("Raft messages received from peers").register(registry);
        this.misrouted = Counter.builder("raft.transport.misrouted")
                .description("Messages of this group dropped because they were not for this node or came from a"
                        + " stranger").register(registry);
        this.foreign = Counter.builder("raft.transport.foreign.cluster")
                .description("Batches and snapshots refused because they came from another cluster").register(registry);
        this.snapshotBytesReceived = Counter.builder("raft.snapshot.received.bytes")
                .description("Bytes of snapshot files received").register(registry);
    }

    /**
     * Takes messages from {@code members} too. A removed member is still heard until the node restarts: a leader that
     * removed itself hands leadership on with its last message, and the core ignores what else a non-member sends.
     */
    synchronized void alsoAcceptFrom(Set<String> members) {
        Set<String> all = new java.util.HashSet<>(peers);
        all.addAll(members);
        this.peers = Set.copyOf(all);
    }

    /** Whether traffic stamped with cluster id {@code theirs} may reach this node; counts it if not. */
    boolean admitsCluster(String theirs) {
        if (cluster.admits(theirs)) {
            return true;
        }
        foreign.increment();
        return false;
    }

    /** This node's cluster id ("" while it does not know it). */
    String clusterId() {
        return cluster.id();
    }

    /** Whether a message may reach this group's node: addressed to it, from one of its members. */
    boolean accepts(Message m) {
        return m.getTo().equals(selfId) && peers.contains(m.getFrom());
    }

    void deliver(Message m) {
        if (!accepts(m)) {
            misrouted.increment();
            return;
        }
        received.increment();
        listener.onMessage(m);
    }

    void snapshotBytes(int n) {
        snapshotBytesReceived.increment(n);
    }
}
