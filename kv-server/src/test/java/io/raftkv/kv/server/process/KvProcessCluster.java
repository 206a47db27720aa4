package io.raftkv.kv.server.process;

import io.raftkv.common.cli.HostPort;
import io.raftkv.common.client.ClientOptions;
import io.raftkv.kv.client.Clerk;
import io.raftkv.kv.client.NodeReport;
import io.raftkv.kv.main.KvServerMain;
import io.raftkv.proto.kv.Role;
import io.raftkv.raft.transport.PeerAddresses;
import io.raftkv.testkit.Eventually;
import io.raftkv.testkit.JvmProcess;
import io.raftkv.testkit.Ports;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * Three real server processes on loopback (kv-server, {@link KvServerMain}, unless another replicated service's main
 * class is given), each with its own data directory, gRPC port and
 * metrics port. Kills are SIGKILL; a restarted node keeps its data directory and ports. Each node's output goes to
 * {@code <root>/<id>.log} across restarts. Spare nodes (n4, ...) have their ports from the start, so clients can list
 * them, but run only once {@link #startJoiner} starts them to join the group. Modelled on raft-node's ProcessCluster.
 */
final class KvProcessCluster implements AutoCloseable {
    private final Path root;
    private final Class<?> mainClass;
    private final List<String> nodeArgs;
    /** Every node, spares included, by id. */
    private final Map<String, HostPort> members = new LinkedHashMap<>();
    /** The group the nodes start as (n1..n3): every node's --peers. */
    private final Map<String, HostPort> initial = new LinkedHashMap<>();
    /** Spares started to join the running group. */
    private final java.util.Set<String> joiners = ConcurrentHashMap.newKeySet();
    private final Map<String, Integer> metricsPorts = new LinkedHashMap<>();
    private final Map<String, JvmProcess> processes = new ConcurrentHashMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final Clerk statusClerk;
    private volatile boolean networkFaults;

    KvProcessCluster(Path root, List<String> nodeArgs) {
        this(root, KvServerMain.class, nodeArgs);
    }

    /** Three processes of {@code mainClass}, which takes the common replica flags ({@code ReplicaFlags}). */
    KvProcessCluster(Path root, Class<?> mainClass, List<String> nodeArgs) {
        this(root, mainClass, nodeArgs, 0);
    }

    /** As above, with {@code spares} more nodes that may join later. */
    KvProcessCluster(Path root, Class<?> mainClass, List<String> nodeArgs, int spares) {
        this.root = root;
        this.mainClass = mainClass;
        this.nodeArgs = List.copyOf(nodeArgs);
        for (int i = 1; i <= 3 + spares; i++) {
            members.put("n" + i, new HostPort("127.0.0.1", Ports.freePort()));
            metricsPorts.put("n" + i, Ports.freePort());
            if (i <= 3) {
                initial.put("n" + i, members.get("n" + i));
            }
        }
        statusClerk = Clerk.connect(addresses(), ClientOptions.DEFAULT.withAttemptTimeout(Duration.ofSeconds(3)));
    }

    List<String> ids() {
        return new ArrayList<>(members.keySet());
    }

    List<HostPort> addresses() {
        return new ArrayList<>(members.values());
    }

    /** The cluster as the kv CLI takes it: host:port,host:port,... */
    String clusterSpec() {
        return members.values().stream().map(HostPort::toString).collect(Collectors.joining(","));
    }

    /** A Clerk for the whole cluster; the caller closes it. */
    Clerk clerk(ClientOptions options) {
        return Clerk.connect(addresses(), options);
    }

    void startAll() {
        for (String id : initial.keySet()) {
            start(id);
        }
        for (String id : initial.keySet()) {
            awaitUp(id);
        }
    }

    /** Starts spare {@code id} to join the running group (--join, its peers the group and itself); waits for it. */
    HostPort startJoiner(String id) {
        joiners.add(id);
        start(id);
        awaitUp(id);
        return members.get(id);
    }

    /** Deletes a stopped node's data: a dead disk. */
    void wipe(String id) throws IOException {
        if (isRunning(id)) {
            throw new IllegalStateException(id + " is running");
        }
        io.raftkv.common.io.FileTrees.deleteRecursively(root.resolve(id));
    }

    /** Starts (or restarts) a node; does not wait for it to serve. */
    void start(String id) {
        start(id, Map.of());
    }

    /**
     * Restarts node {@code id} with failpoint {@code point} armed (see {@code Failpoints}): it fires once
     * {@code trigger} exists.
     */
    void startArmed(String id, String point, Path trigger) {
        start(id, Map.of("RAFTKV_FAILPOINT", point, "RAFTKV_FAILPOINT_WHEN", trigger.toString()));
    }

    /**
     * Every node started from now on reads its network faults from a file of its own ({@code NetworkFaults}), which
     * {@link #setNetworkFaults} writes; until then its network is clean.
     */
    void enableNetworkFaults() {
        networkFaults = true;
    }

    /** The faults of what node {@code id} sends to its peers ({@code NetworkFaults.Spec}; empty: none). */
    void setNetworkFaults(String id, String spec) {
        try {
            Files.writeString(root.resolve(id + ".network-faults"), spec);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits up to {@code timeout} for node {@code id}'s process to end by itself; returns its exit status. */
    int awaitExit(String id, Duration timeout) {
        JvmProcess p = processes.get(id);
        int status = p.waitFor(timeout);
        processes.remove(id);
        return status;
    }

    private void start(String id, Map<String, String> environment) {
        Map<String, HostPort> peers = new LinkedHashMap<>(initial);
        if (joiners.contains(id)) {
            peers.put(id, members.get(id));
        }
        List<String> args = new ArrayList<>(List.of("--id", id, "--peers", PeerAddresses.format(peers),
                "--listen", members.get(id).toString(), "--data-dir", root.resolve(id).toString(),
                "--metrics-port", Integer.toString(metricsPorts.get(id))));
        args.addAll(nodeArgs);
        if (joiners.contains(id)) {
            args.add("--join");
        }
        JvmProcess.Builder builder = JvmProcess.builder(mainClass).name(id).args(args).jvmArgs("-Xmx256m")
                .log(root.resolve(id + ".log"));
        environment.forEach(builder::env);
        if (networkFaults) {
            builder.env("RAFTKV_PEER_FAULTS_FILE", root.resolve(id + ".network-faults").toString());
        }
        processes.put(id, builder.start());
    }

    /** The port node {@code id} serves its metrics and status page on. */
    int metricsPort(String id) {
        return metricsPorts.get(id);
    }

    /** Waits until the node serves its metrics (it binds gRPC before metrics, so both are up). */
    void awaitUp(String id) {
        Eventually.await(id + " serves", Duration.ofSeconds(90), () -> {
            JvmProcess p = processes.get(id);
            if (p == null || !p.isAlive()) {
                throw new AssertionError(id + " is not running:\n" + tail(id, 30));
            }
            return metrics(id) != null;
        });
    }

    /** SIGKILL: no shutdown hook, no flush; only what was fsynced survives. */
    void kill(String id) {
        JvmProcess p = processes.remove(id);
        if (p != null) {
            p.kill();
        }
    }

    boolean isRunning(String id) {
        JvmProcess p = processes.get(id);
        return p != null && p.isAlive();
    }

    long pid(String id) {
        return processes.get(id).pid();
    }

    List<String> runningIds() {
        return members.keySet().stream().filter(this::isRunning).toList();
    }

    /** Waits until one running node leads and every running node names it as leader; returns its id. */
    String awaitLeader(Duration timeout) {
        return Eventually.awaitValue("a leader every running node follows", timeout, () -> {
            List<String> running = runningIds();
            String leader = null;
            int agreeing = 0;
            for (NodeReport report : statusClerk.status()) {
                if (!report.reachable()) {
                    continue;
                }
                if (report.status().getRole() == Role.LEADER) {
                    leader = report.status().getNodeId();
                }
                agreeing++;
            }
            if (leader == null || agreeing < running.size()) {
                return null;
            }
            for (NodeReport report : statusClerk.status()) {
                if (report.reachable() && !leader.equals(report.status().getLeaderId())) {
                    return null;
                }
            }
            return leader;
        });
    }

    /**
     * For any service: waits until exactly one running node reports {@code raft_role} 3 (leader) for {@code group}
     * in its metrics and every running node reports the same term; returns its id.
     */
    String awaitLeaderByMetrics(String group, Duration timeout) {
        String label = "group=\"" + group + "\"";
        return Eventually.awaitValue("one leader of group " + group, timeout, () -> {
            String leader = null;
            Double term = null;
            for (String id : runningIds()) {
                String text = metrics(id);
                if (text == null) {
                    return null;
                }
                double nodeTerm = PrometheusText.sum(text, "raft_term", label);
                if (term != null && term != nodeTerm) {
                    return null;
                }
                term = nodeTerm;
                if (PrometheusText.sum(text, "raft_role", label) == 3) {
                    if (leader != null) {
                        return null;
                    }
                    leader = id;
                }
            }
            return leader;
        });
    }

    /** The node's Prometheus text, or null if it does not answer. */
    String metrics(String id) {
        try {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + metricsPorts.get(id) + "/metrics"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 ? response.body() : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The last lines a node printed (across its restarts), for failure messages. */
    String tail(String id, int lines) {
        try {
            List<String> all = java.nio.file.Files.readAllLines(root.resolve(id + ".log"));
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() {
        for (JvmProcess p : processes.values()) {
            p.close();
        }
        processes.clear();
        statusClerk.close();
    }
}
