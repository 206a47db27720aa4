package io.raftkv.raft.service;

import io.grpc.BindableService;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.raftkv.common.cli.ExitCodes;
import io.raftkv.common.cli.HostPort;
import io.raftkv.common.cli.StartupException;
import io.raftkv.common.grpc.GrpcServer;
import io.raftkv.common.grpc.GrpcServerMetrics;
import io.raftkv.common.metrics.GroupMeters;
import io.raftkv.common.metrics.Metrics;
import io.raftkv.common.metrics.MetricsEndpoint;
import io.raftkv.raft.api.StateMachine;
import io.raftkv.raft.runtime.RaftNode;
import io.raftkv.raft.runtime.RaftNodeBuilder;
import io.raftkv.raft.storage.CorruptStorageException;
import io.raftkv.raft.storage.RocksDbStatistics;
import io.raftkv.raft.storage.RocksLogStorage;
import io.raftkv.raft.transport.RaftHost;
import io.raftkv.raft.transport.TransportOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The wiring of a Raft-replicated server process, written once for every service: the common flags checked, the
 * data directory prepared, the Prometheus registry, one {@link RaftHost} for all the process's groups, one gRPC port
 * for clients and peers (with health, reflection and request metrics), {@code /metrics}, start-up errors with their
 * exit codes, and a shutdown hook that closes everything in the reverse order of opening.
 *
 * <pre>{@code
 * try (ReplicaProcess process = ReplicaProcess.open("kv-server", flags)) {
 *     MyStateMachine machine = process.closeOnExit(MyStateMachine.open(process.dataDir().resolve("kv")));
 *     RaftNode node = process.addNode(process.nodeBuilder("kv", process.dataDir().resolve("raft"), machine));
 *     process.addService(new MyService(node, machine, process.groupRegistry("kv")));
 *     return process.serve();
 * }
 * }</pre>
 *
 * <p>A process may run any number of groups: one {@link #addNode} per group, each with its own directory.
 */
public final class ReplicaProcess implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicaProcess.class);
    /** How long a stopping leader gives a peer to take over (well inside the 10 s a stop waits before SIGKILL). */
    static final Duration HAND_OFF_BOUND = Duration.ofSeconds(2);

    private final String app;
    private final ReplicaFlags flags;
    private final Map<String, HostPort> members;
    private final HostPort bind;
    private final Path dataDir;
    private final RestorePlan restore;
    private final PrometheusMeterRegistry registry;
    private final RaftHost host;
    private final Resources resources = new Resources();
    private final List<BindableService> services = new ArrayList<>();
    private final List<RaftNode> nodes = new ArrayList<>();
    private final Map<String, GroupMeters> groupMeters = new LinkedHashMap<>();
    private int maxInboundMessageBytes = 8 << 20;
    private final Map<String, ReplicaStatus.GroupDetails> statusDetails = new LinkedHashMap<>();

    private ReplicaProcess(String app, ReplicaFlags flags) {
        this.app = app;
        this.flags = flags;
        this.members = flags.members();
        this.bind = flags.bindAddress();
        flags.validate();
        // The backup is checked before the data directory is even created: a damaged one leaves it untouched.
        this.restore = flags.restore() == null ? null
                : RestorePlan.prepare(flags.restore(), flags.dataDir.toAbsolutePath().normalize());
        this.dataDir = flags.prepareDataDir();
        this.registry = Metrics.newRegistry(app, flags.id());
        this.host = new RaftHost(TransportOptions.defaults(), registry);
    }

    /**
     * Checks the flags and prepares the process (nothing listens yet).
     *
     * @throws StartupException naming the flag that is wrong (exit code 2)
     */
    public static ReplicaProcess open(String app, ReplicaFlags flags) {
        return new ReplicaProcess(app, flags);
    }

    public String nodeId() {
        return flags.id();
    }

    /** The members of --peers, this node included. */
    public Map<String, HostPort> members() {
        return members;
    }

    /** This node's address as --peers gives it (what it tells clients in leader hints). */
    public HostPort advertisedAddress() {
        return members.get(flags.id());
    }

    /** The process's data directory (absolute, existing, writable). */
    public Path dataDir() {
        return dataDir;
    }

    /** The process's registry: meters that belong to no group (gRPC requests, JVM). */
    public MeterRegistry registry() {
        return registry;
    }

    /** Where the meters of a group's service and state machine go: each carries {@code group=<group>}. */
    public synchronized MeterRegistry groupRegistry(String group) {
        return groupMeters.computeIfAbsent(RaftHost.checkGroupId(group), g -> new GroupMeters(registry, g))
                .registry();
    }

    /**
     * A node builder preset from the process: this node's id, the group, --peers as the members, the shared host,
     * the registry, --heartbeat, --election-timeout and --max-raft-state, and the Raft log's RocksDB statistics in
     * the group's registry (closed with the process). The service adds anything of its own (limits) and passes it to
     * {@link #addNode}.
     *
     * @param raftDir the group's own Raft directory (log and snapshots), not shared with any other group
     */
    public RaftNodeBuilder nodeBuilder(String group, Path raftDir, StateMachine machine) {
        if (restore != null) {
            restore.checkGroup(group);
        }
        RocksDbStatistics raftDbStats = closeOnExit(new RocksDbStatistics("raft"));
        raftDbStats.bindTo(groupRegistry(group));
        return RaftNode.builder(flags.id())
                .storageOptions(RocksLogStorage.Options.defaults().withStatistics(raftDbStats.statistics()))
                .group(group)
                .host(host)
                .peers(members)
                .dataDir(raftDir)
                .stateMachine(machine)
                .meterRegistry(registry)
                .heartbeatInterval(flags.heartbeat())
                .electionTimeout(flags.electionTimeout())
                .maxRaftStateBytes(flags.compactionBytes())
                .joining(flags.join())
                .restoreFrom(restore == null ? null : restore.backup());
    }

    /** Builds a node, to be started by {@link #serve} once the port listens. */
    public RaftNode addNode(RaftNodeBuilder builder) {
        RaftNode node = builder.build();
        nodes.add(node);
        return node;
    }

    /** What group {@code group}'s part of the status page shows beyond its Raft state (its shards, say). */
    public void describeOnStatusPage(String group, ReplicaStatus.GroupDetails details) {
        statusDetails.put(group, details);
    }

    /** A gRPC service of the process, on its one port. */
    public void addService(BindableService service) {
        services.add(service);
    }

    /** The largest gRPC message the port accepts (default 8 MiB): a peer's batch carries whole commands. */
    public void maxInboundMessageBytes(int bytes) {
        this.maxInboundMessageBytes = bytes;
    }

    /** Closes {@code resource} when the process stops, after everything opened later. */
    public <T extends AutoCloseable> T closeOnExit(T resource) {
        return resources.add(resource);
    }

    /**
     * Listens, starts every node, prints {@code <app> <id> listening on <port>} once it serves, and returns the exit
     * code when a node stops: {@link ExitCodes#OK} after a shutdown, {@link ExitCodes#FAILURE} if a node failed
     * (a storage error: the process stops rather than serve some groups without the others).
     *
     * @throws StartupException if the port cannot be bound or a node cannot start (its data is damaged)
     */
    public int serve() throws InterruptedException {
        GrpcServer.Builder server = GrpcServer.builder(bind.host(), bind.port())
                .description(app + " port")
                .maxInboundMessageBytes(maxInboundMessageBytes)
                .intercept(new GrpcServerMetrics(registry));
        services.forEach(server::addService);
        server.addService(new MemberService(new ProcessNodes(nodes)));
        server.addService(new BackupService(new ProcessNodes(nodes)));
        server.addService(host.service());
        GrpcServer listening = resources.add(server.start());
        resources.add(host); // closed after the nodes, before the server
        Integer metricsPort = flags.metricsPort();
        if (metricsPort != null) {
            ReplicaStatus status = new ReplicaStatus(flags.id(), advertisedAddress().toString(), List.copyOf(nodes),
                    registry);
            statusDetails.forEach(status::addDetails);
            resources.add(MetricsEndpoint.start(bind.host(), metricsPort, registry, status));
        }
        for (RaftNode node : nodes) {
            try {
                node.start();
            } catch (IOException e) {
                throw new StartupException("cannot start the Raft node of group " + node.group() + ": "
                        + e.getMessage() + (e instanceof CorruptStorageException ? recoveryHint() : ""),
                        ExitCodes.FAILURE);
            }
            resources.add(node);
        }
        if (restore != null) {
            try {
                restore.done();
            } catch (IOException e) {
                throw new StartupException("cannot record the restore in " + dataDir + ": " + e.getMessage(),
                        ExitCodes.FAILURE);
            }
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            LOG.info("shutting down");
            handOffLeadership();
            resources.close();
        }, "shutdown"));
        LOG.info("node {} serving clients and peers of groups {} on {} (advertised as {}), data in {}{}",
                flags.id(), nodes.stream().map(RaftNode::group).toList(), bind, advertisedAddress(), dataDir,
                metricsPort == null ? "" : ", metrics and the status page on port " + metricsPort);
        System.out.println(app + " " + flags.id() + " listening on " + listening.port());
        System.out.flush();
        return awaitNodes();
    }

    /**
     * What an operator does about damaged data: a node never starts over it (it could lose entries it acknowledged),
     * so the copy is restored, or the node is replaced by an empty one that catches up from the leader.
     */
    private String recoveryHint() {
        String id = flags.id();
        return ". The node does not start over damaged data. To recover, restore " + dataDir + " from a copy, or"
                + " replace the node: `kv --cluster <members> member remove " + id + "`, move " + dataDir + " aside,"
                + " start this node again with --join, then `kv member add " + id + "=" + advertisedAddress()
                + " --learner` and `kv member promote " + id + "` (for a shard group, --cluster names its nodes)";
    }

    /**
     * Before a stop, every group this process leads hands leadership to a caught-up peer, all groups at once and each
     * within {@link #HAND_OFF_BOUND}: clients then wait for a transfer (milliseconds), not an election timeout.
     */
    private void handOffLeadership() {
        List<Thread> handOffs = new ArrayList<>();
        for (RaftNode node : nodes) {
            Thread t = new Thread(() -> node.handOffLeadership(HAND_OFF_BOUND), "hand-off-" + node.group());
            t.start();
            handOffs.add(t);
        }
        for (Thread t : handOffs) {
            try {
                t.join(HAND_OFF_BOUND.toMillis() + 1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private int awaitNodes() throws InterruptedException {
        if (nodes.isEmpty()) {
            throw new IllegalStateException("a replica process needs at least one node");
        }
        CompletableFuture<?>[] ends = nodes.stream().map(RaftNode::terminated).toArray(CompletableFuture[]::new);
        try {
            CompletableFuture.anyOf(ends).get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e); // terminated() never completes exceptionally
        }
        for (RaftNode node : nodes) {
            Throwable failure = node.terminated().getNow(null);
            if (failure != null) {
                System.err.println("error: the Raft node of group " + node.group() + " stopped: "
                        + failure.getMessage());
                return ExitCodes.FAILURE;
            }
        }
        return ExitCodes.OK;
    }

    @Override
    public void close() {
        resources.close();
        synchronized (this) {
            groupMeters.values().forEach(GroupMeters::close);
        }
    }
}
