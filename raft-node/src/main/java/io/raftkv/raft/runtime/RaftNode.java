package io.raftkv.raft.runtime;

import io.grpc.BindableService;
import io.micrometer.core.instrument.MeterRegistry;
import io.raftkv.common.cli.HostPort;
import io.raftkv.common.metrics.GroupMeters;
import io.raftkv.proto.raft.ConfChange;
import io.raftkv.proto.raft.ConfChangeType;
import io.raftkv.proto.raft.ConfState;
import io.raftkv.proto.raft.Message;
import io.raftkv.proto.raft.SnapshotMetadata;
import io.raftkv.raft.api.CapturedState;
import io.raftkv.raft.api.NodeStatus;
import io.raftkv.raft.api.Proposal;
import io.raftkv.raft.api.RaftService;
import io.raftkv.raft.api.StateMachine;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.RaftConfig;
import io.raftkv.raft.core.RaftStatus;
import io.raftkv.raft.core.RawNode;
import io.raftkv.raft.core.Role;
import io.raftkv.raft.storage.ClusterIdFile;
import io.raftkv.raft.storage.CorruptStorageException;
import io.raftkv.raft.storage.NodeStorage;
import io.raftkv.raft.storage.RocksLogStorage;
import io.raftkv.raft.storage.SnapshotDirectory;
import io.raftkv.raft.storage.SnapshotFile;
import io.raftkv.raft.transport.ClusterIdentity;
import io.raftkv.raft.transport.RaftHost;
import io.raftkv.raft.transport.RaftTransport;
import io.raftkv.raft.transport.TransportListener;
import io.raftkv.raft.transport.TransportOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Raft node that runs for real: the protocol core driven by an event-loop thread, its log in RocksDB, snapshots as
 * files, peers reached over gRPC, and a state machine fed in order on an apply thread. This is what a service embeds.
 *
 * <pre>{@code
 * RaftNode node = RaftNode.builder("n1")
 *         .group("kv")
 *         .peers("n1=127.0.0.1:7001,n2=127.0.0.1:7002,n3=127.0.0.1:7003")
 *         .dataDir(dataDir.resolve("raft"))
 *         .stateMachine(stateMachine)
 *         .meterRegistry(registry)
 *         .build();
 * GrpcServer server = GrpcServer.builder("0.0.0.0", 7001)
 *         .addService(myClientService)
 *         .addService(node.transportService())   // peers and clients share the port
 *         .start();
 * node.start();
 * ...
 * node.close(); server.close(); stateMachine.close();
 * }</pre>
 *
 * <p>A process that runs replicas of several groups gives each node the same {@link RaftNodeBuilder#host RaftHost} and
 * registers the host's service once; each node keeps its own directory, threads and metrics (tagged with its group).
 *
 * <p>Threads: {@code raft-<group>-<id>-loop} owns the core and the log, and writes it; {@code raft-<group>-<id>-apply}
 * calls the state machine; {@code raft-<group>-<id>-snapshot} writes captured snapshots; with
 * {@link RaftNodeBuilder#asyncPersist}, {@code raft-<group>-<id>-persist} performs the synced writes; the
 * transport adds gRPC threads and one thread per outgoing snapshot transfer. Futures returned by this class complete
 * on node threads: callers should not block in their callbacks (use the {@code *Async} variants for real work).
 *
 * <p>The node does not close the state machine: whoever opened it does, after {@link #close()}.
 */
public final class RaftNode implements RaftService, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RaftNode.class);

    private final RaftNodeBuilder config;
    private final String group;
    private final String id;
    /** How logs and thread names call this node: group and id. */
    private final String name;
    private final Map<String, HostPort> members;
    private final StateMachine stateMachine;
    private final GroupMeters meters;
    private final MeterRegistry registry;
    private final RaftHost host;
    private final boolean ownsHost;
    private final RaftTransport transport;
    private final ClusterIdentity cluster = new ClusterIdentity("");
    private final Inbox inbox;
    private final NodeStatusView view = new NodeStatusView();
    private final AtomicInteger outstanding = new AtomicInteger();

    private NodeStorage storage;
    private SnapshotDirectory snapshots;
    private ExecutorService snapshotWriter;
    private Applier applier;
    private Persister persister;
    private EventLoop loop;
    private NodeMetrics metrics;
    private Thread loopThread;
    private Thread applyThread;
    private Thread persistThread;
    private final CompletableFuture<Throwable> exited = new CompletableFuture<>();
    private volatile State state = State.NEW;

    private enum State { NEW, RUNNING, CLOSED }

    RaftNode(RaftNodeBuilder b) {
        this.config = b;
        this.group = b.group;
        this.id = b.id;
        this.name = group + "/" + id;
        this.members = b.members;
        this.stateMachine = b.stateMachine;
        this.meters = new GroupMeters(b.registry, group);
        this.registry = meters.registry();
        this.ownsHost = b.host == null;
        this.host = ownsHost ? new RaftHost(b.transportOptions, b.registry) : b.host;
        this.inbox = new Inbox(b.maxInboundMessages, b.maxInboundBytes);
        this.transport = new RaftTransport(host, group, id, members, b.transportOptions, registry, cluster);
    }

    /** The group of a node whose builder names none. */
    public static final String DEFAULT_GROUP = "default";

    public static RaftNodeBuilder builder(String id) {
        return new RaftNodeBuilder(id);
    }

    /**
     * The gRPC service peers talk to: the host's one service, which every group of the host shares. Register it once
     * on the server that listens on this node's address.
     */
    public BindableService transportService() {
        return host.service();
    }

    /** The Raft group this node is a member of. */
    public String group() {
        return group;
    }

    public String id() {
        return id;
    }

    /** The members this node was started with (its peers flag); {@link #configuration} is the group as it is now. */
    public Map<String, HostPort> members() {
        return members;
    }

    /**
     * Opens the log and snapshots, brings the state machine up to the log's base (restoring the stored snapshot if
     * it is behind it), and starts the node's threads and connections.
     *
     * @throws CorruptStorageException if stored state is damaged (the message names the file)
     * @throws IOException if the data directory cannot be used
     */
    public synchronized void start() throws IOException {
        if (state != State.NEW) {
            throw new IllegalStateException("raft node " + name + " was already started");
        }
        // What a new node's storage starts with: a node that joins knows the group only as far as its peers flag says.
        Map<String, String> addresses = addresses(members);
        List<String> voters = members.keySet().stream().filter(member -> !config.joining || !member.equals(id))
                .toList();
        Map<String, String> voterAddresses = new LinkedHashMap<>(addresses);
        voterAddresses.keySet().retainAll(voters);
        ConfState initial = new Membership(voters, List.of(), voterAddresses).toConfState();
        Path dir = config.dataDir;
        try {
            // A new cluster's first members derive the same id; a node that joins learns it from the first peer.
            boolean restoring = config.restoreFrom != null && RestoreSeed.isNew(dir);
            cluster.useFile(new ClusterIdFile(dir), config.joining ? "" : restoring
                    ? ClusterIdentity.deriveRestored(group, members, config.restoreFrom.checksumHex())
                    : ClusterIdentity.derive(group, members));
            snapshots = SnapshotDirectory.open(dir.resolve("snapshots"));
            storage = RocksLogStorage.open(dir.resolve("log"), initial, config.storageOptions);
            if (restoring) {
                RestoreSeed.plant(config.restoreFrom, initial, snapshots, storage);
            }
            List<SnapshotFile> files = snapshots.verifyAll();
            SnapshotMetadata base = storage.base();
            SnapshotFile baseFile = SnapshotFiles.find(files, base);

            metrics = new NodeMetrics(registry, view, storage::logBytes, outstanding::get);
            snapshotWriter = Executors.newSingleThreadExecutor(daemon("raft-" + group + "-" + id + "-snapshot"));
            applier = new Applier(id, stateMachine, snapshots, snapshotWriter, inbox, metrics);
            view.setAppliedSource(applier::applied);
            applyThread = daemon("raft-" + group + "-" + id + "-apply").newThread(applier);
            applyThread.start();

            long applied = applier.catchUpToBase(base, baseFile, storage.dir(), snapshots.dir());
            long appliedTerm = applied == base.getIndex() ? base.getTerm()
                    : applied <= storage.lastIndex() && applied > base.getIndex() ? storage.term(applied) : 0;

            RaftConfig raftConfig = RaftConfig.builder(id, voters)
                    .joining(config.joining)
                    .maxPromotionLag(config.maxPromotionLag)
                    .electionTicks(config.electionTicks())
                    .heartbeatTicks(1)
                    .maxBytesPerAppend(config.maxBytesPerAppend)
                    .maxEntriesPerAppend(config.maxEntriesPerAppend)
                    .maxInflightAppends(config.maxInflightAppends)
                    .applied(applied)
                    .build();
            RawNode raw;
            try {
                raw = new RawNode(raftConfig, storage, new SplittableRandom(System.nanoTime() ^ id.hashCode()));
            } catch (IllegalArgumentException e) {
                throw new CorruptStorageException("raft node " + name + " cannot resume from " + dir + ": "
                        + e.getMessage(), e);
            }
            applier.startAt(applied, appliedTerm, raw.membershipAt(applied));
            SnapshotFile sendable = SnapshotFiles.keepSendable(snapshots, files, base, baseFile, Math.max(applied,
                    storage.hardState().getCommit()));

            if (config.asyncPersist) {
                persister = new Persister(storage, inbox);
                persistThread = daemon("raft-" + group + "-" + id + "-persist").newThread(persister);
            }
            long tick = config.heartbeatInterval.toNanos();
            CoreDriver.Settings settings = new CoreDriver.Settings(tick, tick * Math.max(2, config.electionTicks() / 2),
                    config.readTimeout.toNanos(), config.electionTimeout.toNanos() * 2, config.maxRaftStateBytes,
                    config.snapshotCatchUpEntries, config.asyncPersist, CoreDriver.Defect.NONE);
            CoreDriver driver = new CoreDriver(id, addresses, settings, ThreadLocalRandom.current().nextLong(),
                    System::nanoTime, raw, storage, snapshots, baseFile, sendable, transport, applier, persister,
                    metrics, view);
            loop = new EventLoop(id, tick, driver, inbox);
            loop.onExit(this::onLoopExit);
            loopThread = new Thread(loop, "raft-" + group + "-" + id + "-loop");
            loopThread.setDaemon(true);
            inbox.setOwner(loopThread);
            if (persistThread != null) {
                persistThread.start();
            }
            loopThread.start();
            transport.start(new Listener(), snapshots);
            state = State.RUNNING;
            LOG.info("{}: started with log ({}, {}] ({} bytes), term {}, applied {}", name, base.getIndex(),
                    storage.lastIndex(), storage.logBytes(), storage.hardState().getTerm(), applied);
        } catch (IOException | RuntimeException e) {
            state = State.CLOSED;
            releaseAfterFailedStart();
            throw e;
        }
    }

    /** The id of the cluster this node belongs to ("" while a node that joins has not heard from it yet). */
    public String clusterId() {
        return cluster.id();
    }

    /** Each member's address text, by node id. */
    private static Map<String, String> addresses(Map<String, HostPort> members) {
        Map<String, String> addresses = new LinkedHashMap<>();
        members.forEach((memberId, address) -> addresses.put(memberId, address.target()));
        return addresses;
    }

    // ---------------------------------------------------------------- RaftService

    /**
     * Proposes a command. The node takes ownership of {@code command}: do not modify it afterwards. Fails at once with
     * {@link java.util.concurrent.RejectedExecutionException} if too many proposals are outstanding (flow control),
     * or {@link IllegalArgumentException} if the command is larger than the configured limit.
     */
    @Override
    public CompletableFuture<Proposal> propose(byte[] command) {
        Objects.requireNonNull(command, "command");
        if (state != State.RUNNING) {
            return CompletableFuture.failedFuture(notRunning());
        }
        if (command.length > config.maxProposalBytes) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("a command of " + command.length
                    + " bytes exceeds the limit of " + config.maxProposalBytes));
        }
        if (outstanding.incrementAndGet() > config.maxPendingProposals) {
            outstanding.decrementAndGet();
            metrics.proposalRejected();
            return CompletableFuture.failedFuture(new RejectedExecutionException("raft node " + name + " has "
                    + config.maxPendingProposals + " proposals outstanding; try again later"));
        }
        PendingProposal p = new PendingProposal(command, System.nanoTime(), outstanding);
        inbox.post(p);
        return p.accepted;
    }

    @Override
    public CompletableFuture<Void> readBarrier() {
        if (state != State.RUNNING) {
            return CompletableFuture.failedFuture(notRunning());
        }
        CompletableFuture<Void> future = new CompletableFuture<>();
        inbox.post(new Events.Read(future, System.nanoTime()));
        return future;
    }

    /**
     * Adds {@code nodeId}, listening for its peers at {@code address}, as a learner: it receives the log and snapshots
     * but does not vote. Start the node with {@link RaftNodeBuilder#joining} first or soon after. Completes with the
     * new membership once the change commits; fails with {@link io.raftkv.raft.api.NotLeaderException} (naming the
     * leader) on a follower, or {@link io.raftkv.raft.api.MembershipChangeRefusedException} saying why the leader
     * refused (a change in flight, the node already a member, ...).
     */
    public CompletableFuture<Membership> addLearner(String nodeId, HostPort address) {
        Objects.requireNonNull(address, "address");
        return changeMembership(ConfChange.newBuilder().setType(ConfChangeType.CONF_ADD_LEARNER).setNode(nodeId)
                .setAddress(address.target()).build());
    }

    /**
     * Makes learner {@code nodeId} a voter, which the leader refuses while the learner's log lags more than the
     * promotion bound behind its own (the message says by how much). Completes as {@link #addLearner} does.
     */
    public CompletableFuture<Membership> promote(String nodeId) {
        return changeMembership(ConfChange.newBuilder().setType(ConfChangeType.CONF_PROMOTE_LEARNER).setNode(nodeId)
                .build());
    }

    /**
     * Removes voter or learner {@code nodeId}. A leader that removes itself hands leadership to a caught-up voter once
     * the change commits. Completes as {@link #addLearner} does.
     */
    public CompletableFuture<Membership> remove(String nodeId) {
        return changeMembership(ConfChange.newBuilder().setType(ConfChangeType.CONF_REMOVE_NODE).setNode(nodeId)
                .build());
    }

    /**
     * Replaces member {@code oldId} with {@code newId} (started with {@link RaftNodeBuilder#joining}, listening at
     * {@code address}): adds it as a learner, promotes it once its log is within the promotion bound (asking again
     * while the leader refuses, for up to {@code catchUp}), then removes {@code oldId}. Completes with the final
     * membership, or fails with the step that failed; the steps done stay done.
     */
    public CompletableFuture<Membership> replace(String oldId, String newId, HostPort address, Duration catchUp) {
        return MemberReplacement.run(this, oldId, newId, address, catchUp);
    }

    private CompletableFuture<Membership> changeMembership(ConfChange change) {
        if (state != State.RUNNING) {
            return CompletableFuture.failedFuture(notRunning());
        }
        if (change.getNode().isEmpty()) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("a membership change needs a node id"));
        }
        CompletableFuture<Membership> future = new CompletableFuture<>();
        inbox.post(new Events.ChangeMembership(change, future));
        return future;
    }

    /**
     * The group's membership as this node's log establishes it (a change counts from when it is appended, committed
     * or not), with each member's address; null before the node starts.
     */
    public Membership configuration() {
        return view.membership;
    }

    @Override
    public NodeStatus status() {
        String leader = view.leader;
        String address = leader.isEmpty() ? "" : view.addresses.getOrDefault(leader, "");
        long contact = view.lastContactNanos;
        long ago = view.role == Role.LEADER ? 0
                : contact == 0 ? -1 : TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - contact);
        return new NodeStatus(id, view.role, view.term, leader, address,
                view.commitIndex, view.appliedIndex(), view.lastIndex, ago);
    }

    @Override
    public CompletableFuture<Void> transferLeadership(String peerId) {
        if (state != State.RUNNING) {
            return CompletableFuture.failedFuture(notRunning());
        }
        CompletableFuture<Void> future = new CompletableFuture<>();
        inbox.post(new Events.Transfer(peerId, future));
        return future;
    }

    /**
     * If this node leads, hands leadership to the voter whose log is most caught up and waits, up to {@code bound},
     * until it leads: call before a planned stop, so the group need not wait an election timeout for a new leader.
     * Returns the new leader's id, or "" if this node did not lead, no voter was ready, or the bound passed.
     */
    public String handOffLeadership(Duration bound) {
        return state == State.RUNNING ? LeadershipHandOff.run(this, bound) : "";
    }

    /**
     * Captures the state machine for a backup after a read barrier, so it holds every write acknowledged before this
     * call; fails with {@link io.raftkv.raft.api.NotLeaderException} on a follower. The caller closes the capture.
     */
    public CapturedState captureForBackup(Duration timeout) throws Exception {
        readBarrier().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        return applier.captureForBackup();
    }

    /** The core's full status (progress of each follower on the leader), computed on the event loop. */
    public CompletableFuture<RaftStatus> raftStatus() {
        if (state != State.RUNNING) {
            return CompletableFuture.failedFuture(notRunning());
        }
        CompletableFuture<RaftStatus> future = new CompletableFuture<>();
        inbox.post(new Events.Call<>(loop::coreStatus, future));
        return future;
    }

    /** The first index still in the log (entries before it were compacted away). */
    public long firstIndex() {
        return view.firstIndex;
    }

    /** Snapshot transfers this node started, and snapshots from a leader it installed. */
    public long snapshotsSent() {
        return metrics == null ? 0 : metrics.snapshotSends();
    }

    public long snapshotsInstalled() {
        return metrics == null ? 0 : metrics.snapshotInstalls();
    }

    /** Whether the node is running (started, not closed, not failed). */
    public boolean isRunning() {
        return state == State.RUNNING && !exited.isDone();
    }

    /** Completes when the node's threads have stopped: with null after {@link #close()}, or the fatal error. */
    public CompletableFuture<Throwable> terminated() {
        return exited;
    }

    private RuntimeException notRunning() {
        if (exited.isDone() && exited.getNow(null) != null) {
            return new IllegalStateException("raft node " + name + " failed: " + exited.getNow(null));
        }
        return new IllegalStateException("raft node " + name + " is " + (state == State.NEW ? "not started" : "closed"));
    }

    // ---------------------------------------------------------------- shutdown

    private void onLoopExit(Throwable failure) {
        if (failure != null) {
            LOG.error("{}: stopped by a fatal error; closing", name);
            Thread closer = new Thread(this::close, "raft-" + group + "-" + id + "-close");
            closer.setDaemon(true);
            closer.start();
        }
        exited.complete(failure);
    }

    /** Stops the node: pending requests fail, the write in flight finishes, threads end, files close. */
    @Override
    public void close() {
        synchronized (this) {
            if (state == State.CLOSED) {
                return;
            }
            boolean wasRunning = state == State.RUNNING;
            state = State.CLOSED;
            if (!wasRunning) {
                transport.close();
                releaseShared();
                return;
            }
        }
        loop.stop();
        join(loopThread);
        transport.close();
        if (persister != null) {
            persister.stop(); // after the write in flight, if any
            join(persistThread);
        }
        applier.stop();
        join(applyThread);
        snapshotWriter.shutdown();
        try {
            snapshotWriter.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        storage.close();
        releaseShared();
        LOG.info("{}: closed", name);
    }

    private void releaseAfterFailedStart() {
        if (applier != null) {
            applier.stop();
            join(applyThread);
        }
        if (snapshotWriter != null) {
            snapshotWriter.shutdownNow();
        }
        if (storage != null) {
            storage.close();
        }
        transport.close();
        releaseShared();
    }

    /** Lets go of what the node shares with the process: its series in the registry, and a host it made itself. */
    private void releaseShared() {
        if (ownsHost) {
            host.close();
        }
        meters.close();
    }

    private static void join(Thread thread) {
        if (thread == null || thread == Thread.currentThread()) {
            return;
        }
        try {
            thread.join(TimeUnit.SECONDS.toMillis(60));
            if (thread.isAlive()) {
                LOG.warn("{} did not stop within 60 s", thread.getName());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    /** The transport's events, handed to the event loop. */
    private final class Listener implements TransportListener {
        @Override
        public void onMessage(Message message) {
            if (!inbox.postPeerMessage(message)) {
                metrics.inboundDropped();
            }
        }

        @Override
        public void onSnapshot(Message message, SnapshotFile file) {
            inbox.post(new Events.SnapshotArrived(message, file));
        }

        @Override
        public void onUnreachable(String peer) {
            inbox.post(new Events.Unreachable(peer));
        }

        @Override
        public void onSnapshotSent(String peer, boolean success) {
            inbox.post(new Events.SnapshotSent(peer, success));
        }
    }
}
