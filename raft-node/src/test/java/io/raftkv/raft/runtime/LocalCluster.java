package io.raftkv.raft.runtime;

import io.raftkv.common.cli.HostPort;
import io.raftkv.common.grpc.GrpcServer;
import io.raftkv.raft.api.NodeStatus;
import io.raftkv.raft.core.Role;
import io.raftkv.raft.testnode.LogStateMachine;
import io.raftkv.testkit.Eventually;
import io.raftkv.testkit.Ports;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Raft nodes in this JVM, each with its own gRPC server on a loopback port, its own RocksDB and a
 * {@link LogStateMachine}: real threads, disk and network, without separate processes.
 */
final class LocalCluster implements AutoCloseable {
    final Map<String, HostPort> members = new LinkedHashMap<>();
    private final Path root;
    private final Consumer<RaftNodeBuilder> tuning;
    private final Map<String, Running> running = new LinkedHashMap<>();

    record Running(RaftNode node, GrpcServer server, LogStateMachine machine) {}

    LocalCluster(Path root, int size, Consumer<RaftNodeBuilder> tuning) {
        this.root = root;
        this.tuning = tuning;
        for (int i = 1; i <= size; i++) {
            members.put("n" + i, new HostPort("127.0.0.1", Ports.freePort()));
        }
    }

    void startAll() {
        for (String id : members.keySet()) {
            start(id);
        }
    }

    void start(String id) {
        start(id, members, false);
    }

    /**
     * Starts a new node that joins the running group: its peers are the members so far and itself. It becomes a
     * member of this cluster's bookkeeping (and is restarted as one) from now on.
     */
    HostPort startJoiner(String id) {
        HostPort address = new HostPort("127.0.0.1", Ports.freePort());
        Map<String, HostPort> peers = new LinkedHashMap<>(members);
        peers.put(id, address);
        members.put(id, address);
        start(id, peers, true);
        return address;
    }

    private void start(String id, Map<String, HostPort> peers, boolean joining) {
        try {
            LogStateMachine machine = LogStateMachine.open(root.resolve(id).resolve("sm"));
            RaftNodeBuilder builder = RaftNode.builder(id)
                    .peers(peers)
                    .joining(joining)
                    .dataDir(root.resolve(id).resolve("raft"))
                    .stateMachine(machine)
                    .heartbeatInterval(Duration.ofMillis(50))
                    .electionTimeout(Duration.ofMillis(500));
            tuning.accept(builder);
            RaftNode node = builder.build();
            GrpcServer server = GrpcServer.builder("127.0.0.1", members.get(id).port())
                    .addService(node.transportService())
                    .start();
            try {
                node.start();
            } catch (IOException | RuntimeException e) {
                server.close();
                machine.close();
                throw e;
            }
            running.put(id, new Running(node, server, machine));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void stop(String id) {
        Running r = running.remove(id);
        if (r == null) {
            return;
        }
        r.node().close();
        r.server().close();
        try {
            r.machine().close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    RaftNode node(String id) {
        return running.get(id).node();
    }

    LogStateMachine machine(String id) {
        return running.get(id).machine();
    }

    List<String> runningIds() {
        return new ArrayList<>(running.keySet());
    }

    /** Waits until one running node leads and every running node knows it; returns its id. */
    String awaitLeader() {
        return Eventually.awaitValue("a leader known to every running node", Duration.ofSeconds(20), () -> {
            String leader = null;
            for (Map.Entry<String, Running> e : running.entrySet()) {
                NodeStatus s = e.getValue().node().status();
                if (s.role() == Role.LEADER) {
                    leader = e.getKey();
                }
            }
            if (leader == null) {
                return null;
            }
            for (Running r : running.values()) {
                if (!leader.equals(r.node().status().leaderId())) {
                    return null;
                }
            }
            return leader;
        });
    }

    /** Waits until every running node has applied {@code count} values. */
    void awaitValues(int count) {
        Eventually.await("every running node applies " + count + " values", Duration.ofSeconds(30), () -> {
            for (Running r : running.values()) {
                if (r.machine().valueCount() < count) {
                    return false;
                }
            }
            return true;
        });
    }

    @Override
    public void close() {
        for (String id : new ArrayList<>(running.keySet())) {
            stop(id);
        }
    }
}
