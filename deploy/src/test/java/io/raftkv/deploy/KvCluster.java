package io.raftkv.deploy;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.ContainerNetwork;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.PortBinding;
import io.raftkv.common.cli.HostPort;
import io.raftkv.kv.client.Clerk;
import io.raftkv.common.client.ClientOptions;
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
import java.util.UUID;
import java.util.stream.Collectors;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * A KV cluster of kv-server containers from the project image on its own Testcontainers network, each node reachable
 * by the others under its alias (kv1, kv2, ...) and from the test JVM on fixed loopback ports chosen at start. Fixed
 * ports survive container restarts, so one Clerk serves a whole chaos run. Faults act on the containers in place
 * (SIGKILL and start, pause, network disconnect) so each node keeps its data volume across them.
 */
final class KvCluster implements AutoCloseable {
    static final int CLIENT_PORT = 7000;
    static final int METRICS_PORT = 9100;
    /** How long a (re)started node may take to answer: a cold JVM on a busy 2-core machine. */
    static final Duration START_TIMEOUT = Duration.ofSeconds(120);
    /** One status request's bound: it limits how much a slow node can blur a leaderless-time measurement. */
    static final Duration STATUS_TIMEOUT = Duration.ofSeconds(1);

    enum NodeState { RUNNING, KILLED, STOPPED, PAUSED, DISCONNECTED }

    private final String name;
    private final Network network;
    private final Map<String, GenericContainer<?>> containers = new LinkedHashMap<>();
    private final Map<String, HostPort> clientAddresses = new LinkedHashMap<>();
    private final Map<String, NodeState> states = new LinkedHashMap<>();
    /** One single-address Clerk per node for status polls, so a poll can leave out the nodes a fault took away. */
    private final Map<String, Clerk> statusClerks = new LinkedHashMap<>();

    private KvCluster(String name, Network network) {
        this.name = name;
        this.network = network;
    }

    /** Starts {@code size} nodes (kv1..kvN) and waits until one of them is leader. */
    static KvCluster start(String label, int size) {
        String image = RaftkvImage.get();
        String name = "raftkv-" + label + "-" + UUID.randomUUID().toString().substring(0, 8);
        KvCluster cluster = new KvCluster(name, Network.builder().createNetworkCmdModifier(cmd -> cmd.withName(name))
                .build());
        try {
            List<String> ids = new ArrayList<>();
            for (int i = 1; i <= size; i++) {
                ids.add("kv" + i);
            }
            String peers = ids.stream().map(id -> id + "=" + id + ":" + CLIENT_PORT).collect(Collectors.joining(","));
            int[] ports = io.raftkv.testkit.Ports.freePorts(2 * size);
            for (int i = 0; i < size; i++) {
                String id = ids.get(i);
                cluster.clientAddresses.put(id, new HostPort("127.0.0.1", ports[2 * i]));
                cluster.containers.put(id, container(image, name, id, peers, ports[2 * i], ports[2 * i + 1],
                        cluster.network));
                cluster.states.put(id, NodeState.RUNNING);
            }
            // Started together: each node waits for a quorum before it can elect anyone.
            cluster.containers.values().parallelStream().forEach(GenericContainer::start);
            for (String id : ids) {
                cluster.statusClerks.put(id, Clerk.connect(List.of(cluster.clientAddresses.get(id)),
                        ClientOptions.DEFAULT.withAttemptTimeout(STATUS_TIMEOUT)));
            }
            cluster.awaitLeader(START_TIMEOUT);
            return cluster;
        } catch (RuntimeException | Error e) {
            cluster.close();
            throw e;
        }
    }

    private static GenericContainer<?> container(String image, String cluster, String id, String peers, int clientPort,
            int metricsPort, Network network) {
        GenericContainer<?> container = new GenericContainer<>(DockerImageName.parse(image));
        container.withNetwork(network)
                .withNetworkAliases(id)
                .withEnv("RAFTKV_JAVA_OPTS", "-Xmx160m -XX:+UseSerialGC")
                .withCommand("kv-server", "--id", id, "--peers", peers, "--listen", "0.0.0.0:" + CLIENT_PORT,
                        "--data-dir", "/var/lib/raftkv", "--metrics-port", String.valueOf(METRICS_PORT))
                .withExposedPorts(CLIENT_PORT, METRICS_PORT)
                .waitingFor(Wait.forLogMessage(".*kv-server " + id + " listening on.*", 1)
                        .withStartupTimeout(START_TIMEOUT))
                .withCreateContainerCmdModifier(cmd -> {
                    cmd.withName(cluster + "-" + id);
                    // Fixed host ports (on loopback only), so a restarted container is found where it was.
                    cmd.getHostConfig().withPortBindings(
                            new PortBinding(com.github.dockerjava.api.model.Ports.Binding.bindIpAndPort("127.0.0.1",
                                    clientPort), ExposedPort.tcp(CLIENT_PORT)),
                            new PortBinding(com.github.dockerjava.api.model.Ports.Binding.bindIpAndPort("127.0.0.1",
                                    metricsPort), ExposedPort.tcp(METRICS_PORT)));
                });
        return container;
    }

    List<String> ids() {
        return List.copyOf(containers.keySet());
    }

    List<HostPort> clientAddresses() {
        return List.copyOf(clientAddresses.values());
    }

    /** A new Clerk for the cluster's published ports; the caller closes it. */
    Clerk clerk(ClientOptions options) {
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
        return Eventually.awaitValue("a leader in " + name, timeout, () -> leader(Set.of()).orElse(null));
    }

    /**
     * Waits until a node outside {@code ignored} reports itself leader and returns the time since {@code since}
     * (System.nanoTime()): the leaderless time after a fault that took out the nodes in {@code ignored}.
     */
    Duration awaitLeaderOutside(Set<String> ignored, long since, Duration timeout) {
        Eventually.awaitValue("a leader outside " + ignored + " in " + name, timeout,
                () -> leader(ignored).orElse(null));
        return Duration.ofNanos(System.nanoTime() - since);
    }

    /** Waits until {@code id} answers a status request itself (after a restart). */
    void awaitServing(String id, Duration timeout) {
        Eventually.await(id + " serving in " + name, timeout, () -> statusClerks.get(id).status().getFirst()
                .reachable());
    }

    /** The last lines each node logged, for a failure report. */
    String recentLogs(int lines) {
        StringBuilder out = new StringBuilder();
        for (String id : ids()) {
            Command.Result logs = Command.run(Duration.ofSeconds(30),
                    List.of("docker", "logs", "--tail", String.valueOf(lines), containerId(id)));
            out.append("--- ").append(id).append(" (").append(states.get(id)).append(")\n").append(logs.output());
        }
        return out.toString();
    }

    // ---- faults ----

    private DockerClient docker() {
        return DockerClientFactory.instance().client();
    }

    private String containerId(String id) {
        return containers.get(id).getContainerId();
    }

    // Each fault returns System.nanoTime() as it took effect: the start of a leaderless time.

    /** SIGKILL: the process dies with no chance to flush or say goodbye. */
    long kill(String id) {
        docker().killContainerCmd(containerId(id)).withSignal("KILL").exec();
        long killed = System.nanoTime();
        docker().waitContainerCmd(containerId(id)).start().awaitStatusCode(30, java.util.concurrent.TimeUnit.SECONDS);
        states.put(id, NodeState.KILLED);
        return killed;
    }

    /** SIGTERM and wait (the clean shutdown path); returns when it was sent. */
    long stop(String id) {
        long sent = System.nanoTime();
        docker().stopContainerCmd(containerId(id)).withTimeout(20).exec();
        states.put(id, NodeState.STOPPED);
        return sent;
    }

    /** Starts a killed or stopped container again, on the same data volume and host ports. */
    void restart(String id) {
        docker().startContainerCmd(containerId(id)).exec();
        states.put(id, NodeState.RUNNING);
    }

    long pause(String id) {
        docker().pauseContainerCmd(containerId(id)).exec();
        states.put(id, NodeState.PAUSED);
        return System.nanoTime();
    }

    void unpause(String id) {
        docker().unpauseContainerCmd(containerId(id)).exec();
        states.put(id, NodeState.RUNNING);
    }

    /** Cuts the node off from its peers (and from the published ports, which go through the same network). */
    long disconnect(String id) {
        docker().disconnectFromNetworkCmd().withNetworkId(network.getId()).withContainerId(containerId(id)).exec();
        states.put(id, NodeState.DISCONNECTED);
        return System.nanoTime();
    }

    /** Joins the node to the network again under its alias. */
    void reconnect(String id) {
        docker().connectToNetworkCmd().withNetworkId(network.getId()).withContainerId(containerId(id))
                .withContainerNetwork(new ContainerNetwork().withAliases(id)).exec();
        states.put(id, NodeState.RUNNING);
    }

    /** Undoes every fault still in place and waits for every node to answer and a leader. */
    void heal() {
        for (String id : ids()) {
            switch (states.get(id)) {
                case RUNNING -> { }
                case KILLED, STOPPED -> restart(id);
                case PAUSED -> unpause(id);
                case DISCONNECTED -> reconnect(id);
            }
        }
        for (String id : ids()) {
            awaitServing(id, START_TIMEOUT);
        }
        awaitLeader(START_TIMEOUT);
    }

    @Override
    public void close() {
        statusClerks.values().forEach(Clerk::close);
        for (Map.Entry<String, GenericContainer<?>> node : containers.entrySet()) {
            if (states.get(node.getKey()) == NodeState.PAUSED) {
                try {
                    docker().unpauseContainerCmd(node.getValue().getContainerId()).exec();
                } catch (RuntimeException e) {
                    // Removing the container below still works, or reports its own error.
                }
            }
            node.getValue().stop();
        }
        network.close();
    }
}
