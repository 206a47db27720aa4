package io.raftkv.kv.server;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.raftkv.common.cli.DurationConverter;
import io.raftkv.common.cli.ExitCodes;
import io.raftkv.common.cli.HostPort;
import io.raftkv.common.cli.Mains;
import io.raftkv.common.cli.StartupException;
import io.raftkv.common.grpc.GrpcServer;
import io.raftkv.common.grpc.GrpcServerMetrics;
import io.raftkv.common.metrics.Metrics;
import io.raftkv.common.metrics.MetricsEndpoint;
import io.raftkv.raft.runtime.RaftNode;
import io.raftkv.raft.storage.RocksDbStatistics;
import io.raftkv.raft.storage.RocksLogStorage;
import io.raftkv.raft.transport.PeerAddresses;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code kv-server}: one node of a replicated key/value store, serving clients and its Raft peers on one port. */
@Command(name = "kv-server", sortOptions = false, usageHelpAutoWidth = true,
        description = {
            "Runs one node of a raftkv cluster: a Raft replica of a key/value store in RocksDB. Clients (bin/kv, the"
                    + " Clerk) and the other nodes reach it on one gRPC port. Writes are replicated through the Raft"
                    + " log and applied exactly once; reads are linearizable (ReadIndex). Start every member with the"
                    + " same --peers list.",
            "",
            "Example (three nodes on one machine):",
            "  kv-server --id n1 --peers n1=127.0.0.1:7001,n2=127.0.0.1:7002,n3=127.0.0.1:7003 --data-dir data/n1",
            ""},
        footer = {"", "Exit codes: 0 stopped, 1 failed (a damaged data directory, a storage error), 2 usage error."})
public final class KvServerMain implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(KvServerMain.class);

    @Option(names = "--id", required = true, paramLabel = "ID",
            description = "This node's id: one of the ids in --peers.")
    String id;

    @Option(names = "--peers", required = true, paramLabel = "ID=HOST:PORT,...",
            description = "Every member of the cluster, this node included, as id=host:port. The address is where"
                    + " peers and clients reach the node, and what it tells clients in leader hints.")
    String peers;

    @Option(names = "--listen", paramLabel = "HOST:PORT", converter = HostPort.Converter.class,
            description = "The address to bind (default: 0.0.0.0 and the port of this node's entry in --peers).")
    HostPort listen;

    @Option(names = "--data-dir", required = true, paramLabel = "DIR",
            description = "Where the node keeps its Raft log, snapshots and key/value state (created if missing).")
    Path dataDir;

    @Option(names = "--metrics-port", paramLabel = "PORT",
            description = "Serve Prometheus metrics at http://HOST:PORT/metrics. Off unless given.")
    Integer metricsPort;

    @Option(names = "--max-raft-state", paramLabel = "BYTES", defaultValue = "67108864",
            description = "Snapshot the store and compact the Raft log once the log passes this many bytes;"
                    + " -1 never compacts (default: ${DEFAULT-VALUE}, 64 MiB).")
    long maxRaftState;

    @Option(names = "--heartbeat", paramLabel = "DURATION", defaultValue = "100ms",
            converter = DurationConverter.class,
            description = "The leader's heartbeat interval (default: ${DEFAULT-VALUE}).")
    Duration heartbeat;

    @Option(names = "--election-timeout", paramLabel = "DURATION", defaultValue = "1s",
            converter = DurationConverter.class,
            description = "Base election timeout; each node randomizes between it and twice it"
                    + " (default: ${DEFAULT-VALUE}).")
    Duration electionTimeout;

    @Option(names = "--request-timeout", paramLabel = "DURATION", defaultValue = "5s",
            converter = DurationConverter.class,
            description = "How long a request may wait for Raft before it is answered TIMEOUT (a shorter client"
                    + " deadline wins) (default: ${DEFAULT-VALUE}).")
    Duration requestTimeout;

    @Option(names = "--max-key-bytes", paramLabel = "BYTES", defaultValue = "4096",
            description = "Reject longer keys with INVALID_ARGUMENT (default: ${DEFAULT-VALUE}).")
    int maxKeyBytes;

    @Option(names = "--max-value-bytes", paramLabel = "BYTES", defaultValue = "1048576",
            description = "Reject longer values with INVALID_ARGUMENT (default: ${DEFAULT-VALUE}).")
    int maxValueBytes;

    @Option(names = "--session-ttl", paramLabel = "DURATION", defaultValue = "1h",
            converter = DurationConverter.class,
            description = "Forget an idle client's duplicate-detection session after this long, measured in log time;"
                    + " clients must not retry one write for longer (default: ${DEFAULT-VALUE}).")
    Duration sessionTtl;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    public static void main(String[] args) {
        Mains.run(new KvServerMain(), args);
    }

    @Override
    public Integer call() throws Exception {
        Map<String, HostPort> members = parsePeers();
        HostPort advertised = members.get(id);
        HostPort bind = listen != null ? listen : new HostPort("0.0.0.0", advertised.port());
        KvLimits limits = limits();
        validateNumbers(bind);
        Path dir = prepareDataDir();

        PrometheusMeterRegistry registry = Metrics.newRegistry("kv-server", id);
        try (Resources resources = new Resources()) {
            KvStateMachine machine = resources.add(openState(dir.resolve("kv")));
            machine.bindMetrics(registry);
            RocksDbStatistics raftDbStats = resources.add(new RocksDbStatistics("raft"));
            raftDbStats.bindTo(registry);
            RaftNode node = RaftNode.builder(id)
                    .peers(members)
                    .dataDir(dir.resolve("raft"))
                    .stateMachine(machine)
                    .meterRegistry(registry)
                    .heartbeatInterval(heartbeat)
                    .electionTimeout(electionTimeout)
                    .maxRaftStateBytes(maxRaftState == -1 ? 0 : maxRaftState)
                    .maxProposalBytes(maxProposalBytes(limits))
                    .storageOptions(RocksLogStorage.Options.defaults().withStatistics(raftDbStats.statistics()))
                    .build();
            ExecutorService replies = resources.add(Executors.newVirtualThreadPerTaskExecutor());
            KvService service = new KvService(node, machine, new NodeIdentity(id, advertised.toString()), limits,
                    requestTimeout, Clock.systemUTC(), replies, registry);
            GrpcServer server = resources.add(GrpcServer.builder(bind.host(), bind.port())
                    .description("kv-server port")
                    // A peer's append carries a whole proposal plus the rest of its batch (up to 2 MiB).
                    .maxInboundMessageBytes(Math.max(8 << 20, maxProposalBytes(limits) + (4 << 20)))
                    .intercept(new GrpcServerMetrics(registry))
                    .addService(service)
                    .addService(node.transportService())
                    .start());
            if (metricsPort != null) {
                resources.add(MetricsEndpoint.start(bind.host(), metricsPort, registry));
            }
            try {
                node.start();
            } catch (IOException e) {
                throw new StartupException("cannot start the Raft node: " + e.getMessage(), ExitCodes.FAILURE);
            }
            resources.add(node);
            Thread hook = new Thread(() -> {
                log.info("shutting down");
                resources.close();
            }, "shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            log.info("node {} serving clients and peers on {} (advertised as {}), data in {}{}", id, bind, advertised,
                    dir, metricsPort == null ? "" : ", metrics on port " + metricsPort);
            System.out.println("kv-server " + id + " listening on " + server.port());
            System.out.flush();
            Throwable failure = node.terminated().get();
            if (failure != null) {
                System.err.println("error: the Raft node stopped: " + failure.getMessage());
                return ExitCodes.FAILURE;
            }
            return ExitCodes.OK;
        }
    }

    /** The largest command a request can make: key, value and the envelope (client id, sequence, clock). */
    private static int maxProposalBytes(KvLimits limits) {
        return limits.maxKeyBytes() + limits.maxValueBytes() + 4096;
    }

    private Map<String, HostPort> parsePeers() {
        Map<String, HostPort> members;
        try {
            members = PeerAddresses.parse(peers);
        } catch (IllegalArgumentException e) {
            throw new StartupException("--peers: " + e.getMessage());
        }
        if (!members.containsKey(id)) {
            throw new StartupException("--id " + id + " is not one of the members in --peers " + members.keySet());
        }
        return members;
    }

    private KvLimits limits() {
        try {
            return new KvLimits(maxKeyBytes, maxValueBytes);
        } catch (IllegalArgumentException e) {
            throw new StartupException(e.getMessage());
        }
    }

    private void validateNumbers(HostPort bind) {
        if (metricsPort != null && (metricsPort < 0 || metricsPort > 65_535)) {
            throw new StartupException("--metrics-port " + metricsPort + " is outside 0..65535");
        }
        if (metricsPort != null && metricsPort != 0 && metricsPort == bind.port()) {
            throw new StartupException("--metrics-port " + metricsPort + " is the node's own gRPC port");
        }
        if (maxRaftState == 0 || maxRaftState < -1) {
            throw new StartupException("--max-raft-state must be positive or -1 (never compact), was "
                    + maxRaftState);
        }
        if (electionTimeout.compareTo(heartbeat.multipliedBy(2)) < 0) {
            throw new StartupException("--election-timeout (" + electionTimeout.toMillis()
                    + " ms) must be at least twice --heartbeat (" + heartbeat.toMillis() + " ms)");
        }
    }

    private Path prepareDataDir() {
        Path dir = dataDir.toAbsolutePath().normalize();
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new StartupException("--data-dir " + dir + " is not a directory");
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new StartupException("cannot create --data-dir " + dir + ": " + e.getMessage());
        }
        if (!Files.isWritable(dir)) {
            throw new StartupException("--data-dir " + dir + " is not writable");
        }
        return dir;
    }

    private KvStateMachine openState(Path dir) {
        try {
            return KvStateMachine.open(dir, sessionTtl);
        } catch (IOException e) {
            throw new StartupException("cannot open the key/value state: " + e.getMessage(), ExitCodes.FAILURE);
        }
    }
}
