package io.raftkv.raft.runtime;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raftkv.common.backup.BackupFile;
import io.raftkv.common.cli.HostPort;
import io.raftkv.raft.api.StateMachine;
import io.raftkv.raft.core.RaftConfig;
import io.raftkv.raft.storage.RocksLogStorage;
import io.raftkv.raft.transport.PeerAddresses;
import io.raftkv.raft.transport.RaftHost;
import io.raftkv.raft.transport.TransportOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/** Configures a node. Only id, members, data directory and state machine are required. */
public final class RaftNodeBuilder {
    final String id;
    String group = RaftNode.DEFAULT_GROUP;
    RaftHost host;
    Map<String, HostPort> members;
    Path dataDir;
    StateMachine stateMachine;
    MeterRegistry registry = new SimpleMeterRegistry();
    Duration heartbeatInterval = Duration.ofMillis(100);
    Duration electionTimeout = Duration.ofMillis(1000);
    Duration readTimeout = Duration.ofSeconds(5);
    long maxRaftStateBytes = 64L << 20;
    long snapshotCatchUpEntries = 5_000;
    int maxPendingProposals = 20_000;
    int maxProposalBytes = 4 << 20;
    long maxBytesPerAppend = 512L << 10;
    int maxEntriesPerAppend = 1024;
    int maxInflightAppends = 64;
    int maxInboundMessages = 16_384;
    long maxInboundBytes = 64L << 20;
    boolean asyncPersist;
    boolean joining;
    BackupFile restoreFrom;
    long maxPromotionLag = RaftConfig.DEFAULT_MAX_PROMOTION_LAG;
    TransportOptions transportOptions = TransportOptions.defaults();
    RocksLogStorage.Options storageOptions = RocksLogStorage.Options.defaults();

    RaftNodeBuilder(String id) {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("a node needs an id");
        }
        this.id = id;
    }

    /**
     * The Raft group this node is a member of (default {@value RaftNode#DEFAULT_GROUP}): the transport names it in every
     * batch, and every metric of the node carries it as the {@code group} tag.
     */
    public RaftNodeBuilder group(String group) {
        this.group = RaftHost.checkGroupId(group);
        return this;
    }

    /**
     * The process's Raft transport, shared with the other groups the process runs (one port, one channel per
     * peer address). Without one, the node makes its own and closes it with itself.
     */
    public RaftNodeBuilder host(RaftHost host) {
        this.host = host;
        return this;
    }

    /**
     * Every member of the cluster by id and address, this node included (its own address is where its gRPC server
     * listens; peers and clients reach it there).
     */
    public RaftNodeBuilder peers(Map<String, HostPort> peers) {
        this.members = Map.copyOf(peers);
        return this;
    }

    /** The members as {@code n1=host:port,n2=host:port,...} (the {@code --peers} flag), this node included. */
    public RaftNodeBuilder peers(String peers) {
        return peers(PeerAddresses.parse(peers));
    }

    /** The node's own directory (log database and snapshots); not shared with the state machine. */
    public RaftNodeBuilder dataDir(Path dir) {
        this.dataDir = dir;
        return this;
    }

    public RaftNodeBuilder stateMachine(StateMachine machine) {
        this.stateMachine = machine;
        return this;
    }

    public RaftNodeBuilder meterRegistry(MeterRegistry registry) {
        this.registry = registry;
        return this;
    }

    /** The tick: a leader sends heartbeats this often (default 100 ms). */
    public RaftNodeBuilder heartbeatInterval(Duration interval) {
        this.heartbeatInterval = interval;
        return this;
    }

    /** A follower campaigns after between one and two of these without a leader (default 1 s). */
    public RaftNodeBuilder electionTimeout(Duration timeout) {
        this.electionTimeout = timeout;
        return this;
    }

    /** A read barrier not confirmed within this fails with a TimeoutException (default 5 s). */
    public RaftNodeBuilder readTimeout(Duration timeout) {
        this.readTimeout = timeout;
        return this;
    }

    /** When the log grows past this many bytes it is compacted behind a state machine sync (0: never). */
    public RaftNodeBuilder maxRaftStateBytes(long bytes) {
        this.maxRaftStateBytes = bytes;
        return this;
    }

    /** Entries kept after compaction so a follower a little behind needs no snapshot (default 5000). */
    public RaftNodeBuilder snapshotCatchUpEntries(long entries) {
        this.snapshotCatchUpEntries = entries;
        return this;
    }

    public RaftNodeBuilder snapshotChunkBytes(int bytes) {
        this.transportOptions = transportOptions.withSnapshotChunkBytes(bytes);
        return this;
    }

    /** Proposals accepted but not yet resolved, beyond which new ones fail at once (default 20000). */
    public RaftNodeBuilder maxPendingProposals(int count) {
        this.maxPendingProposals = count;
        return this;
    }

    /**
     * The largest command {@link RaftNode#propose} takes (default 4 MiB). An entry travels to peers inside one gRPC
     * message, so the gRPC server peers send to must accept messages of at least this size plus the transport's
     * batch size (2 MiB): the default 8 MiB of {@code GrpcServer} fits the defaults.
     */
    public RaftNodeBuilder maxProposalBytes(int bytes) {
        this.maxProposalBytes = bytes;
        return this;
    }

    /** Replication flow control: bytes and entries per append message, and appends in flight per follower. */
    public RaftNodeBuilder appendLimits(long maxBytesPerAppend, int maxEntriesPerAppend, int maxInflightAppends) {
        this.maxBytesPerAppend = maxBytesPerAppend;
        this.maxEntriesPerAppend = maxEntriesPerAppend;
        this.maxInflightAppends = maxInflightAppends;
        return this;
    }

    /**
     * Whether synced writes run on a separate thread while the event loop goes on stepping messages and taking
     * proposals, or (the default) on the event loop itself. On a machine with cores to spare the overlap pays;
     * on a small one (several nodes on 2 cores) the two thread hand-offs per write cost more than they save:
     * inline writes measured about 1.5x faster there, in latency and in throughput. Either way a leader sends
     * its appends before its own write, so followers write in parallel with it.
     */
    public RaftNodeBuilder asyncPersist(boolean async) {
        this.asyncPersist = async;
        return this;
    }

    /**
     * This node joins a group that already runs (default false): the peers name the group's members and this node,
     * and the node waits, never campaigning, until the leader adds it as a learner ({@link RaftNode#addLearner}). It
     * learns the group from the leader's log or snapshot. Ignored once its storage records a membership.
     */
    public RaftNodeBuilder joining(boolean join) {
        this.joining = join;
        return this;
    }

    /**
     * Starts a new cluster's member from {@code backup} (checked by {@link BackupFile#verify}): a node whose data
     * directory holds no log yet starts with the backup's state, under the peers it is given and a new cluster id
     * (every member restored from the same backup with the same peers derives the same one). Ignored once the node
     * has a log.
     */
    public RaftNodeBuilder restoreFrom(BackupFile backup) {
        this.restoreFrom = backup;
        return this;
    }

    /**
     * How many entries a learner's log may lag behind the leader's for {@link RaftNode#promote} to make it a voter
     * (default {@value RaftConfig#DEFAULT_MAX_PROMOTION_LAG}): a voter that joins far behind would leave the group one
     * failure from unavailable until it caught up.
     */
    public RaftNodeBuilder maxPromotionLag(long entries) {
        if (entries < 0) {
            throw new IllegalArgumentException("the promotion lag must not be negative");
        }
        this.maxPromotionLag = entries;
        return this;
    }

    public RaftNodeBuilder transportOptions(TransportOptions options) {
        this.transportOptions = options;
        return this;
    }

    public RaftNodeBuilder storageOptions(RocksLogStorage.Options options) {
        this.storageOptions = options;
        return this;
    }

    int electionTicks() {
        return (int) Math.max(2, electionTimeout.toNanos() / heartbeatInterval.toNanos());
    }

    public RaftNode build() {
        if (members == null || !members.containsKey(id)) {
            throw new IllegalArgumentException("the peers must include this node, " + id);
        }
        if (joining && restoreFrom != null) {
            throw new IllegalArgumentException("a node restored from a backup starts a new cluster; it cannot join one");
        }
        if (joining && members.size() < 2) {
            throw new IllegalArgumentException("a node that joins needs the peers of the group it joins");
        }
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(stateMachine, "stateMachine");
        Objects.requireNonNull(registry, "meterRegistry");
        if (heartbeatInterval.isNegative() || heartbeatInterval.isZero()) {
            throw new IllegalArgumentException("the heartbeat interval must be positive");
        }
        if (electionTimeout.compareTo(heartbeatInterval.multipliedBy(2)) < 0) {
            throw new IllegalArgumentException("the election timeout (" + electionTimeout.toMillis()
                    + " ms) must be at least twice the heartbeat interval (" + heartbeatInterval.toMillis()
                    + " ms)");
        }
        if (maxPendingProposals < 1 || maxProposalBytes < 1 || maxRaftStateBytes < 0) {
            throw new IllegalArgumentException("limits must be positive");
        }
        return new RaftNode(this);
    }
}
