package io.raftkv.raft.service;

import io.raftkv.common.cli.DurationConverter;
import io.raftkv.common.cli.HostPort;
import io.raftkv.common.cli.StartupException;
import io.raftkv.raft.transport.PeerAddresses;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The flags every Raft-replicated server process takes (a picocli mixin: {@code @Mixin ReplicaFlags replica}), and
 * their checks. Each check fails with a {@link StartupException} that names the flag, so a bad command line exits 2
 * with one clear line.
 */
public final class ReplicaFlags {
    @Option(names = "--id", required = true, paramLabel = "ID",
            description = "This node's id: one of the ids in --peers.")
    String id;

    @Option(names = "--peers", required = true, paramLabel = "ID=HOST:PORT,...",
            description = "Every member of the cluster, this node included, as id=host:port. The address is where"
                    + " peers and clients reach the node, and what it tells clients in leader hints.")
    String peers;

    @Option(names = "--join",
            description = "Join a group that already runs: --peers names its members and this node, which waits,"
                    + " never campaigning, until the leader adds it (kv member add ID=HOST:PORT --learner). Ignored"
                    + " once the node's data records a membership.")
    boolean join;

    @Option(names = "--restore", paramLabel = "FILE",
            description = "Start a new cluster's member from a backup (kv snapshot save FILE): the backup is checked"
                    + " whole first, --data-dir must be new or empty, and the cluster gets a new id. Start every"
                    + " member of the new cluster with the same FILE and --peers. A restart with the same flags"
                    + " starts the restored node as it is.")
    Path restore;

    @Option(names = "--listen", paramLabel = "HOST:PORT", converter = HostPort.Converter.class,
            description = "The address to bind (default: 0.0.0.0 and the port of this node's entry in --peers).")
    HostPort listen;

    @Option(names = "--data-dir", required = true, paramLabel = "DIR",
            description = "Where the node keeps its Raft log, snapshots and service state (created if missing).")
    Path dataDir;

    @Option(names = "--metrics-port", paramLabel = "PORT",
            description = "Serve Prometheus metrics at http://HOST:PORT/metrics. Off unless given.")
    Integer metricsPort;

    @Option(names = "--max-raft-state", paramLabel = "BYTES", defaultValue = "67108864",
            description = "Snapshot the service state and compact the Raft log once the log passes this many bytes;"
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

    @Option(names = "--session-ttl", paramLabel = "DURATION", defaultValue = "1h",
            converter = DurationConverter.class,
            description = "Forget an idle client's duplicate-detection session after this long, measured in log time;"
                    + " clients must not retry one request for longer (default: ${DEFAULT-VALUE}).")
    Duration sessionTtl;

    public boolean join() {
        return join;
    }

    public String id() {
        return id;
    }

    /** How long a request may wait for Raft before it is answered TIMEOUT. */
    public Duration requestTimeout() {
        return requestTimeout;
    }

    /** How long, in log time, an idle client's session is kept for duplicate detection. */
    public Duration sessionTtl() {
        return sessionTtl;
    }

    public Duration heartbeat() {
        return heartbeat;
    }

    public Duration electionTimeout() {
        return electionTimeout;
    }

    /** The log size that triggers compaction, in the node builder's terms (0: never). */
    public long compactionBytes() {
        return maxRaftState == -1 ? 0 : maxRaftState;
    }

    /** The members of --peers; this node is one of them. */
    public Map<String, HostPort> members() {
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

    /** Where the gRPC server binds. */
    public HostPort bindAddress() {
        return listen != null ? listen : new HostPort("0.0.0.0", members().get(id).port());
    }

    /** The backup to start from, or null. */
    public Path restore() {
        return restore;
    }

    /** The metrics port, or null when metrics are off. */
    public Integer metricsPort() {
        return metricsPort;
    }

    /** Checks the numbers and their relations (the members and addresses are checked where they are read). */
    public void validate() {
        HostPort bind = bindAddress();
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
        if (requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw new StartupException("--request-timeout must be positive, not " + requestTimeout);
        }
        if (sessionTtl.isNegative() || sessionTtl.isZero()) {
            throw new StartupException("--session-ttl must be positive, not " + sessionTtl);
        }
        if (restore != null && join) {
            throw new StartupException("--restore starts a new cluster; it cannot be combined with --join");
        }
        if (electionTimeout.compareTo(heartbeat.multipliedBy(2)) < 0) {
            throw new StartupException("--election-timeout (" + electionTimeout.toMillis()
                    + " ms) must be at least twice --heartbeat (" + heartbeat.toMillis() + " ms)");
        }
    }

    /** The data directory, absolute, created if missing, and checked to be a writable directory. */
    public Path prepareDataDir() {
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
}
