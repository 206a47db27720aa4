package io.raftkv.deploy;

import io.raftkv.common.cli.HostPort;
import io.raftkv.common.client.ClientOptions;
import io.raftkv.kv.client.Clerk;
import io.raftkv.kv.client.KvClient;
import io.raftkv.kv.client.NodeReport;
import io.raftkv.proto.kv.Role;
import io.raftkv.testkit.Eventually;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A KV cluster of kv-server containers ({@link ContainerNodes}: kv1, kv2, ... on a network of their own, fixed
 * loopback ports for the test JVM), with the leader observations the chaos scripts need.
 */
final class KvCluster implements ChaosTarget {
    /** How long a (re)started node may take to answer: a cold JVM on a busy 2-core machine. */
    static final Duration START_TIMEOUT = ContainerNodes.START_TIMEOUT;
    /** One status request's bound: it limits how much a slow node can blur a leaderless-time measurement. */
    static final Duration STATUS_TIMEOUT = Duration.ofSeconds(1);

    private final ContainerNodes nodes;
    /** One single-address Clerk per node for status polls, so a poll can leave out the nodes a fault took away. */
    private final Map<String, Clerk> statusClerks = new LinkedHashMap<>();

    private KvCluster(ContainerNodes nodes) {
        this.nodes = nodes;
    }

    /** Starts {@code size} nodes (kv1..kvN) and waits until one of them is leader. */
    static KvCluster start(String label, int size) {
        KvCluster cluster = new KvCluster(new ContainerNodes(label));
        try {
            List<String> ids = new ArrayList<>();
            for (int i = 1; i <= size; i++) {
                ids.add("kv" + i);
            }
            String peers = ids.stream().map(id -> id + "=" + ContainerNodes.inside(id))
                    .collect(Collectors.joining(","));
            for (String id : ids) {
                cluster.nodes.add(id, "kv-server", "-Xmx160m -XX:+UseSerialGC", List.of("kv-server", "--id", id,
                        "--peers", peers, "--listen", "0.0.0.0:" + ContainerNodes.PORT, "--data-dir",
                        "/var/lib/raftkv", "--metrics-port", String.valueOf(ContainerNodes.METRICS_PORT)));
            }
            cluster.nodes.start(ids);
            for (String id : ids) {
                cluster.statusClerks.put(id, Clerk.connect(List.of(cluster.nodes.client(id)),
                        ClientOptions.DEFAULT.withAttemptTimeout(STATUS_TIMEOUT)));
            }
            cluster.awaitLeader(START_TIMEOUT);
            return cluster;
        } catch (RuntimeException | Error e) {
            cluster.close();
            throw e;
        }
    }

    /** The containers, for the faults. */
    ContainerNodes nodes() {
        return nodes;
    }

    List<String> ids() {
        return nodes.ids();
    }

    List<HostPort> clientAddresses() {
        return ids().stream().map(nodes::client).toList();
    }

    /** A new Clerk for the cluster's published ports; the caller closes it. */
    @Override
    public KvClient client(ClientOptions options) {
        return Clerk.connect(clientAddresses(), options);
    }

    // ---- observing ----

    /** A node outside {@code ignored} that reports itself LEADER (the highest term wins), if any. */
    Optional<String> leader(Set<String> ignored) {
        String leader = null;
        long term = -1;
        for (String id : ids()) {
            if (ignored.contains(id)) {
                continue;
            }
            NodeReport report = statusClerks.get(id).status().getFirst();
            if (report.reachable() && report.status().getRole() == Role.LEADER && report.status().getTerm() > term) {
                leader = report.status().getNodeId();
                term = report.status().getTerm();
            }
        }
        return Optional.ofNullable(leader);
    }

    String awaitLeader(Duration timeout) {
        return Eventually.awaitValue("a leader in " + nodes.name(), timeout, () -> leader(Set.of()).orElse(null));
    }

    /**
     * Waits until a node outside {@code ignored} reports itself leader and returns the time since {@code since}
     * (System.nanoTime()): the leaderless time after a fault that took out the nodes in {@code ignored}.
     */
    Duration awaitLeaderOutside(Set<String> ignored, long since, Duration timeout) {
        Eventually.awaitValue("a leader outside " + ignored + " in " + nodes.name(), timeout,
                () -> leader(ignored).orElse(null));
        return Duration.ofNanos(System.nanoTime() - since);
    }

    /** Whether {@code id} answers a client's status request now. */
    boolean answers(String id) {
        return statusClerks.get(id).status().getFirst().reachable();
    }

    /** Waits until {@code id} answers a status request itself (after a restart). */
    void awaitServing(String id, Duration timeout) {
        Eventually.await(id + " serving in " + nodes.name(), timeout, () -> statusClerks.get(id).status().getFirst()
                .reachable());
    }

    @Override
    public String recentLogs(int lines) {
        return nodes.recentLogs(lines);
    }

    /** Undoes every fault still in place and waits for every node to answer and a leader. */
    void heal() {
        nodes.heal();
        for (String id : ids()) {
            awaitServing(id, START_TIMEOUT);
        }
        awaitLeader(START_TIMEOUT);
    }

    @Override
    public void close() {
        statusClerks.values().forEach(Clerk::close);
        nodes.close();
    }
}
