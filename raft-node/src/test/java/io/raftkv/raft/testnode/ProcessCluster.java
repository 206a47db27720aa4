package io.raftkv.raft.testnode;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.raftkv.common.cli.HostPort;
import io.raftkv.proto.members.MemberChangeReply;
import io.raftkv.proto.members.MemberChangeRequest;
import io.raftkv.proto.members.MembersGrpc;
import io.raftkv.proto.service.ErrorCode;
import io.raftkv.raft.testnode.proto.AppliedReply;
import io.raftkv.raft.testnode.proto.AppliedRequest;
import io.raftkv.raft.testnode.proto.ProposeReply;
import io.raftkv.raft.testnode.proto.ProposeRequest;
import io.raftkv.raft.testnode.proto.StatusReply;
import io.raftkv.raft.testnode.proto.StatusRequest;
import io.raftkv.raft.testnode.proto.TestNodeGrpc;
import io.raftkv.raft.transport.PeerAddresses;
import io.raftkv.testkit.Eventually;
import io.raftkv.testkit.JvmProcess;
import io.raftkv.testkit.Ports;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Raft test nodes as separate JVM processes on loopback ({@link TestNodeMain}), with gRPC clients for their control
 * API. Kills are SIGKILL; a restarted node reuses its data directory and port. Each node's output goes to
 * {@code <root>/<id>.log}, across restarts.
 */
public final class ProcessCluster implements AutoCloseable {
    private final Path root;
    private final Map<String, HostPort> members = new LinkedHashMap<>();
    private final List<String> nodeArgs;
    private final Map<String, List<String>> jvmArgs = new ConcurrentHashMap<>();
    private final Map<String, JvmProcess> processes = new ConcurrentHashMap<>();
    private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();
    private final Map<String, Integer> metricsPorts = new ConcurrentHashMap<>();
    /** Nodes started to join the running group (with {@code --join}). */
    private final java.util.Set<String> joiners = ConcurrentHashMap.newKeySet();
    private boolean fullJit;

    public ProcessCluster(Path root, int size, List<String> nodeArgs) {
        this.root = root;
        this.nodeArgs = nodeArgs;
        for (int i = 1; i <= size; i++) {
            members.put("n" + i, new HostPort("127.0.0.1", Ports.freePort()));
        }
    }

    /** JVM options for every node process (e.g. a small -Xmx). */
    public ProcessCluster jvmArgs(String... args) {
        for (String id : members.keySet()) {
            jvmArgs.put(id, List.of(args));
        }
        return this;
    }

    /** Serves each node's Prometheus metrics on a port of its own ({@link #metricsText}). */
    public ProcessCluster withMetrics() {
        for (String id : members.keySet()) {
            metricsPorts.put(id, Ports.freePort());
        }
        return this;
    }

    /** The node's {@code /metrics} page. */
    public String metricsText(String id) throws java.io.IOException, InterruptedException {
        var client = java.net.http.HttpClient.newHttpClient();
        var request = java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + metricsPorts.get(id) + "/metrics"))
                .timeout(Duration.ofSeconds(10)).build();
        return client.send(request, java.net.http.HttpResponse.BodyHandlers.ofString()).body();
    }

    /** Runs nodes with the full JIT (for benchmarks). */
    public ProcessCluster fullJit() {
        this.fullJit = true;
        return this;
    }

    public List<String> ids() {
        return new ArrayList<>(members.keySet());
    }

    public Path logOf(String id) {
        return root.resolve(id + ".log");
    }

    public void startAll() {
        for (String id : members.keySet()) {
            start(id);
        }
        for (String id : members.keySet()) {
            awaitUp(id);
        }
    }

    /** Starts (or restarts) a node process; does not wait for it to serve. */
    public void start(String id) {
        List<String> args = new ArrayList<>(List.of("--id", id, "--peers", PeerAddresses.format(members),
                "--listen", members.get(id).target(), "--data-dir", root.resolve(id).toString()));
        args.addAll(nodeArgs);
        if (joiners.contains(id)) {
            args.add("--join");
        }
        if (metricsPorts.containsKey(id)) {
            args.addAll(List.of("--metrics-port", String.valueOf(metricsPorts.get(id))));
        }
        JvmProcess.Builder builder = JvmProcess.builder(TestNodeMain.class).name(id).args(args).log(logOf(id));
        if (fullJit) {
            builder.fullJit();
        }
        List<String> extra = jvmArgs.get(id);
        if (extra != null) {
            builder.jvmArgs(extra.toArray(String[]::new));
        }
        processes.put(id, builder.start());
    }

    /**
     * Starts a new node process that joins the running group (its peers: the members so far and itself) and waits
     * until it serves; returns its address, for the leader to add it.
     */
    public HostPort startJoiner(String id) {
        HostPort address = new HostPort("127.0.0.1", Ports.freePort());
        members.put(id, address);
        joiners.add(id);
        jvmArgs.computeIfAbsent(id, k -> jvmArgs.values().stream().findFirst().orElse(List.of()));
        start(id);
        awaitUp(id);
        return address;
    }

    /** Drops a node that was removed from the group (and is not running) from this cluster's nodes. */
    public void forget(String id) {
        if (isRunning(id)) {
            throw new IllegalStateException(id + " is still running");
        }
        members.remove(id);
        ManagedChannel channel = channels.remove(id);
        if (channel != null) {
            channel.shutdownNow();
        }
    }

    /** Asks node {@code via} to change the membership (its Members API); answers once the change committed. */
    public MemberChangeReply changeMembership(String via, MemberChangeRequest request) {
        try {
            return MembersGrpc.newBlockingStub(channels.computeIfAbsent(via, k -> NettyChannelBuilder
                    .forTarget(members.get(k).target()).usePlaintext().maxInboundMessageSize(64 << 20).build()))
                    .withDeadlineAfter(15, TimeUnit.SECONDS).change(request);
        } catch (StatusRuntimeException e) {
            return MemberChangeReply.newBuilder().setCode(ErrorCode.TIMEOUT).setMessage(e.getStatus().toString())
                    .build();
        }
    }

    /** Waits until the node answers its control API. */
    public void awaitUp(String id) {
        Eventually.await(id + " serves", Duration.ofSeconds(60), () -> {
            JvmProcess p = processes.get(id);
            if (p != null && !p.isAlive()) {
                throw new AssertionError(id + " exited:\n" + p.tail(30));
            }
            return status(id) != null;
        });
    }

    /** SIGKILL. */
    public void kill(String id) {
        JvmProcess p = processes.remove(id);
        if (p != null) {
            p.kill();
        }
    }

    /** SIGTERM to every node, then waits for them to exit (shutdown hooks run: JFR recordings get written). */
    public void terminateAll() {
        for (JvmProcess p : processes.values()) {
            p.terminate();
        }
        for (JvmProcess p : processes.values()) {
            p.waitFor(Duration.ofSeconds(30));
        }
        processes.clear();
    }

    public boolean isRunning(String id) {
        JvmProcess p = processes.get(id);
        return p != null && p.isAlive();
    }

    public List<String> runningIds() {
        return members.keySet().stream().filter(this::isRunning).toList();
    }

    public TestNodeGrpc.TestNodeBlockingStub client(String id, Duration timeout) {
        ManagedChannel channel = channels.computeIfAbsent(id, k -> NettyChannelBuilder
                .forTarget(members.get(k).target()).usePlaintext().maxInboundMessageSize(64 << 20).build());
        channel.resetConnectBackoff();
        return TestNodeGrpc.newBlockingStub(channel).withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The node's status, or null if it does not answer. */
    public StatusReply status(String id) {
        return status(id, StatusRequest.getDefaultInstance());
    }

    /** The status of the node's replica of {@code group} (empty: its first group), or null if it does not answer. */
    public StatusReply status(String id, String group) {
        return status(id, StatusRequest.newBuilder().setGroup(group).build());
    }

    public StatusReply status(String id, StatusRequest request) {
        try {
            return client(id, Duration.ofSeconds(30)).status(request);
        } catch (StatusRuntimeException e) {
            return null;
        }
    }

    /** Waits until a running node leads and every running node follows it; returns its id. */
    public String awaitLeader(Duration timeout) {
        return awaitLeader("", timeout);
    }

    /** Waits until a running node leads {@code group} and every running node follows it; returns its id. */
    public String awaitLeader(String group, Duration timeout) {
        return Eventually.awaitValue("a leader of group '" + group + "' every running node follows", timeout, () -> {
            String leader = null;
            for (String id : runningIds()) {
                StatusReply s = status(id, group);
                if (s == null) {
                    return null;
                }
                if (s.getRole().equals("LEADER")) {
                    leader = id;
                }
            }
            if (leader == null) {
                return null;
            }
            for (String id : runningIds()) {
                StatusReply s = status(id, group);
                if (s == null || !leader.equals(s.getLeaderId())) {
                    return null;
                }
            }
            return leader;
        });
    }

    /** Proposes a value on a node and waits for the outcome; a node that does not answer yields TIMEOUT. */
    public ProposeReply propose(String id, ProposeRequest request, Duration timeout) {
        try {
            return client(id, timeout.plusSeconds(1)).propose(request.toBuilder()
                    .setTimeoutMs((int) timeout.toMillis()).build());
        } catch (StatusRuntimeException e) {
            return ProposeReply.newBuilder().setOutcome(io.raftkv.raft.testnode.proto.Outcome.TIMEOUT)
                    .setError(e.getStatus().toString()).build();
        }
    }

    /** Every value a node has applied, with the log index of each. */
    public AppliedValues applied(String id) {
        return applied(id, "");
    }

    /** Every value the node's replica of {@code group} has applied, with the log index of each. */
    public AppliedValues applied(String id, String group) {
        List<String> values = new ArrayList<>();
        List<Long> indexes = new ArrayList<>();
        while (true) {
            AppliedReply r = client(id, Duration.ofSeconds(30)).applied(AppliedRequest.newBuilder()
                    .setGroup(group).setFrom(values.size()).setMax(20_000).build());
            values.addAll(r.getValuesList());
            indexes.addAll(r.getIndexesList());
            if (r.getValuesCount() == 0 || values.size() >= r.getTotal()) {
                return new AppliedValues(values, indexes);
            }
        }
    }

    public record AppliedValues(List<String> values, List<Long> indexes) {}

    /** How many lines of all node logs (every run of every node) contain {@code needle}. */
    public long countInLogs(String needle) {
        long n = 0;
        for (String id : members.keySet()) {
            try {
                if (java.nio.file.Files.exists(logOf(id))) {
                    try (var lines = java.nio.file.Files.lines(logOf(id))) {
                        n += lines.filter(l -> l.contains(needle)).count();
                    }
                }
            } catch (java.io.IOException | java.io.UncheckedIOException e) {
                throw new IllegalStateException("cannot read " + logOf(id), e);
            }
        }
        return n;
    }

    /** The last lines of a node's log, for failure messages. */
    public String tail(String id, int lines) {
        JvmProcess p = processes.get(id);
        return p == null ? "(not running)" : p.tail(lines);
    }

    @Override
    public void close() {
        for (JvmProcess p : processes.values()) {
            p.close();
        }
        processes.clear();
        for (ManagedChannel c : channels.values()) {
            c.shutdownNow();
        }
    }
}
