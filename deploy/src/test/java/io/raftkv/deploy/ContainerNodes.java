package io.raftkv.deploy;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.ContainerNetwork;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.PortBinding;
import io.raftkv.common.cli.HostPort;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * The containers of one test cluster from the project image, on a network of their own, each reachable by the others
 * under its id (its network alias) on {@link #PORT} and from the test JVM on fixed loopback ports chosen at start.
 * Fixed ports survive container restarts, so one client serves a whole chaos run. The faults act on the containers in
 * place (SIGKILL and start, SIGTERM, pause, network disconnect, peer partition), so a node keeps its data volume
 * across them; {@link #heal()} undoes whatever is still in place.
 */
final class ContainerNodes implements AutoCloseable {
    /** The port every node serves its clients and peers on inside the network. */
    static final int PORT = 7000;
    static final int METRICS_PORT = 9100;
    /** How long a (re)started node may take to answer: a cold JVM on a busy 2-core machine. */
    static final Duration START_TIMEOUT = Duration.ofSeconds(120);

    /** Where a node reads the faults of what it sends its peers (NetworkFaults); missing: a clean network. */
    private static final String NETWORK_FAULTS_FILE = "/tmp/raftkv-network-faults";

    enum NodeState { RUNNING, KILLED, STOPPED, PAUSED, DISCONNECTED, PARTITIONED }

    private record Node(GenericContainer<?> container, HostPort client, HostPort metrics) {}

    private final String name;
    private final String image;
    private final Network network;
    private final Map<String, Node> nodes = new LinkedHashMap<>();
    /** Written by faults that run in parallel on several nodes. */
    private final Map<String, NodeState> states = new java.util.concurrent.ConcurrentHashMap<>();
    /** Nodes whose peer traffic has network faults (orthogonal to their state: a restart keeps the file). */
    private final java.util.Set<String> faultyNetworks = java.util.concurrent.ConcurrentHashMap.newKeySet();

    ContainerNodes(String label) {
        this.image = RaftkvImage.get();
        this.name = "raftkv-" + label + "-" + UUID.randomUUID().toString().substring(0, 8);
        this.network = Network.builder().createNetworkCmdModifier(cmd -> cmd.withName(name)).build();
    }

    String name() {
        return name;
    }

    /**
     * Adds node {@code id} running {@code command} (a role and its flags, the node listening on {@link #PORT} and
     * serving metrics on {@link #METRICS_PORT}); it counts as started once it logs {@code <app> <id> listening on}.
     */
    void add(String id, String app, String javaOptions, List<String> command) {
        int[] ports = io.raftkv.testkit.Ports.freePorts(2);
        GenericContainer<?> container = new GenericContainer<>(DockerImageName.parse(image));
        container.withNetwork(network)
                .withNetworkAliases(id)
                .withEnv("RAFTKV_JAVA_OPTS", javaOptions)
                .withEnv("RAFTKV_PEER_FAULTS_FILE", NETWORK_FAULTS_FILE)
                .withCommand(command.toArray(String[]::new))
                .withExposedPorts(PORT, METRICS_PORT)
                .waitingFor(Wait.forLogMessage(".*" + app + " " + id + " listening on.*", 1)
                        .withStartupTimeout(START_TIMEOUT))
                .withCreateContainerCmdModifier(cmd -> {
                    cmd.withName(name + "-" + id);
                    // Fixed host ports (on loopback only), so a restarted container is found where it was.
                    cmd.getHostConfig().withPortBindings(
                            new PortBinding(com.github.dockerjava.api.model.Ports.Binding.bindIpAndPort("127.0.0.1",
                                    ports[0]), ExposedPort.tcp(PORT)),
                            new PortBinding(com.github.dockerjava.api.model.Ports.Binding.bindIpAndPort("127.0.0.1",
                                    ports[1]), ExposedPort.tcp(METRICS_PORT)));
                });
        nodes.put(id, new Node(container, new HostPort("127.0.0.1", ports[0]), new HostPort("127.0.0.1", ports[1])));
        states.put(id, NodeState.RUNNING);
    }

    /** Starts the given nodes together (each waits for a quorum of its group before it can elect anyone). */
    void start(List<String> ids) {
        ids.parallelStream().forEach(id -> nodes.get(id).container().start());
    }

    List<String> ids() {
        return List.copyOf(nodes.keySet());
    }

    /** Where the test JVM reaches {@code id}'s client port. */
    HostPort client(String id) {
        return nodes.get(id).client();
    }

    HostPort metrics(String id) {
        return nodes.get(id).metrics();
    }

    /** Where the nodes reach {@code id} inside the network. */
    static HostPort inside(String id) {
        return new HostPort(id, PORT);
    }

    NodeState state(String id) {
        return states.get(id);
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

    // ---- faults: each returns System.nanoTime() as it took effect ----

    private static DockerClient docker() {
        return DockerClientFactory.instance().client();
    }

    private String containerId(String id) {
        return nodes.get(id).container().getContainerId();
    }

    /** SIGKILL: the process dies with no chance to flush or say goodbye. */
    long kill(String id) {
        docker().killContainerCmd(containerId(id)).withSignal("KILL").exec();
        long killed = System.nanoTime();
        docker().waitContainerCmd(containerId(id)).start().awaitStatusCode(30, TimeUnit.SECONDS);
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

    /** Takes a node out for good (a dead machine): its container is removed, with its data. */
    void remove(String id) {
        Node node = nodes.remove(id);
        states.remove(id);
        node.container().stop();
    }

    /** Starts a killed or stopped container again, on the same data volume and host ports. */
    void restart(String id) {
        docker().startContainerCmd(containerId(id)).exec();
        states.put(id, NodeState.RUNNING);
    }

    /**
     * Freezes every process of the container (docker pause). The cgroup freezer can fail while a process sits in
     * uninterruptible I/O (an fsync): a few retries get past that.
     */
    long pause(String id) {
        for (int attempt = 1; ; attempt++) {
            try {
                docker().pauseContainerCmd(containerId(id)).exec();
                break;
            } catch (com.github.dockerjava.api.exception.InternalServerErrorException e) {
                if (attempt == 5) {
                    throw e;
                }
                io.raftkv.testkit.Eventually.sleep(Duration.ofMillis(200));
            }
        }
        states.put(id, NodeState.PAUSED);
        return System.nanoTime();
    }

    void unpause(String id) {
        docker().unpauseContainerCmd(containerId(id)).exec();
        states.put(id, NodeState.RUNNING);
    }

    /** Cuts the node off the network: from its peers and from the published ports, which go through it. */
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

    /**
     * Cuts the node off from every other container (its peers, the other groups, the controller) while clients keep
     * reaching it: packets from and to the network's subnet are dropped inside the node's network namespace, except
     * those of the gateway, through which the published ports arrive. A leader cut off this way keeps answering
     * clients while believing it leads: the stale-read case. The rules live in the container's namespace, so a
     * restart of the container clears them.
     */
    long partitionFromPeers(String id) {
        com.github.dockerjava.api.model.Network.Ipam.Config subnet = docker().inspectNetworkCmd().withNetworkId(network.getId()).exec()
                .getIpam().getConfig().getFirst();
        String gateway = subnet.getGateway();
        iptables(id, "-I", "INPUT", "-s", subnet.getSubnet(), "-j", "DROP");
        iptables(id, "-I", "INPUT", "-s", gateway, "-j", "ACCEPT");
        iptables(id, "-I", "OUTPUT", "-d", subnet.getSubnet(), "-j", "DROP");
        iptables(id, "-I", "OUTPUT", "-d", gateway, "-j", "ACCEPT");
        states.put(id, NodeState.PARTITIONED);
        return System.nanoTime();
    }

    /** Removes the partition rules: the node talks to its peers again. */
    void healPartition(String id) {
        iptables(id, "-F", "INPUT");
        iptables(id, "-F", "OUTPUT");
        states.put(id, NodeState.RUNNING);
    }

    /** Runs iptables in the container's network namespace (from the host: the image needs no iptables). */
    private void iptables(String id, String... rule) {
        Long pid = docker().inspectContainerCmd(containerId(id)).exec().getState().getPidLong();
        if (pid == null || pid <= 0) {
            throw new IllegalStateException(id + " is not running: no network namespace to partition");
        }
        List<String> command = new ArrayList<>(List.of("nsenter", "--target", pid.toString(), "--net", "iptables"));
        command.addAll(List.of(rule));
        Command.Result result = Command.run(Duration.ofSeconds(20), command);
        if (result.exitCode() != 0) {
            throw new IllegalStateException("a peer partition needs nsenter and iptables on the Docker host, run as"
                    + " root; " + String.join(" ", command) + " exited " + result.exitCode() + ": "
                    + result.output());
        }
    }

    /**
     * Makes what node {@code id} sends its peers slow, lossy or silent ({@code NetworkFaults.Spec}, such as
     * {@code delay=75ms jitter=50ms loss=20%} or {@code one-way}); an empty spec makes it clean again. The node reads
     * the file within a tenth of a second. The kernel's netem is not used: many CI kernels lack its qdisc.
     */
    long setNetworkFaults(String id, String spec) {
        nodes.get(id).container().copyFileToContainer(
                org.testcontainers.images.builder.Transferable.of(spec.getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                NETWORK_FAULTS_FILE);
        if (spec.isBlank()) {
            faultyNetworks.remove(id);
        } else {
            faultyNetworks.add(id);
        }
        return System.nanoTime();
    }

    /** Undoes every fault still in place (it does not wait for the nodes to serve again). */
    void heal() {
        for (String id : List.copyOf(faultyNetworks)) {
            setNetworkFaults(id, "");
        }
        for (String id : ids()) {
            switch (states.get(id)) {
                case RUNNING -> { }
                case KILLED, STOPPED -> restart(id);
                case PAUSED -> unpause(id);
                case DISCONNECTED -> reconnect(id);
                case PARTITIONED -> healPartition(id);
            }
        }
    }

    @Override
    public void close() {
        for (Map.Entry<String, Node> node : nodes.entrySet()) {
            if (states.get(node.getKey()) == NodeState.PAUSED) {
                try {
                    docker().unpauseContainerCmd(node.getValue().container().getContainerId()).exec();
                } catch (RuntimeException e) {
                    // Removing the container below still works, or reports its own error.
                }
            }
            node.getValue().container().stop();
        }
        network.close();
    }
}
