package io.raftkv.raft.testnode;

import io.micrometer.core.instrument.MeterRegistry;
import io.raftkv.common.cli.HostPort;
import io.raftkv.common.cli.Mains;
import io.raftkv.common.cli.StartupException;
import io.raftkv.common.grpc.GrpcServer;
import io.raftkv.common.metrics.Metrics;
import io.raftkv.raft.runtime.RaftNode;
import io.raftkv.raft.storage.CorruptStorageException;
import io.raftkv.raft.transport.PeerAddresses;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * A raft node process for the multi-process tests and the benchmark: a {@link RaftNode} replicating a
 * {@link LogStateMachine}, serving the Raft transport and the {@code TestNode} control API on its peer address.
 */
@Command(name = "raft-test-node", mixinStandardHelpOptions = true,
        description = "Runs one raft node with a replicated log of strings.")
public final class TestNodeMain implements Callable<Integer> {
    @Option(names = "--id", required = true, description = "This node's id (one of the members).")
    String id;

    @Option(names = "--peers", required = true, description = "Every member, this node included: id=host:port,...")
    String members;

    @Option(names = "--data-dir", required = true, description = "Where the node keeps its state.")
    Path dataDir;

    @Option(names = "--heartbeat-ms", defaultValue = "100")
    long heartbeatMs;

    @Option(names = "--election-ms", defaultValue = "1000")
    long electionMs;

    @Option(names = "--max-raft-state", defaultValue = "67108864",
            description = "Compact the log when it grows past this many bytes.")
    long maxRaftState;

    @Option(names = "--catch-up-entries", defaultValue = "5000")
    long catchUpEntries;

    @Option(names = "--snapshot-chunk", defaultValue = "1048576")
    int snapshotChunk;

    @Option(names = "--async-persist", defaultValue = "false", arity = "1",
            description = "Synced writes on their own thread (true) or on the event loop (false).")
    boolean asyncPersist;

    public static void main(String[] args) {
        Mains.run(new TestNodeMain(), args);
    }

    @Override
    public Integer call() throws Exception {
        Map<String, HostPort> peers;
        try {
            peers = PeerAddresses.parse(members);
        } catch (IllegalArgumentException e) {
            throw new StartupException("--peers: " + e.getMessage());
        }
        HostPort self = peers.get(id);
        if (self == null) {
            throw new StartupException("--id " + id + " is not one of the members " + peers.keySet());
        }
        MeterRegistry registry = Metrics.newRegistry("raft-test-node", id);
        LogStateMachine machine = LogStateMachine.open(dataDir.resolve("sm"));
        RaftNode node = RaftNode.builder(id)
                .peers(peers)
                .dataDir(dataDir.resolve("raft"))
                .stateMachine(machine)
                .meterRegistry(registry)
                .heartbeatInterval(Duration.ofMillis(heartbeatMs))
                .electionTimeout(Duration.ofMillis(electionMs))
                .maxRaftStateBytes(maxRaftState)
                .snapshotCatchUpEntries(catchUpEntries)
                .snapshotChunkBytes(snapshotChunk)
                .asyncPersist(asyncPersist)
                .build();
        GrpcServer server = GrpcServer.builder(self.host(), self.port())
                .description("raft port")
                .addService(node.transportService())
                .addService(new TestNodeService(node, machine, registry))
                .start();
        try {
            node.start();
        } catch (CorruptStorageException e) {
            server.close();
            throw new StartupException(e.getMessage(), 1);
        } catch (IOException e) {
            server.close();
            throw new StartupException("cannot start: " + e.getMessage(), 1);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            node.close();
            server.close();
            try {
                machine.close();
            } catch (IOException e) {
                // exiting anyway
            }
        }, "shutdown"));
        System.out.println("node " + id + " serving on " + self);
        System.out.flush();
        Throwable failure = node.terminated().get();
        if (failure != null) {
            System.err.println("error: the raft node failed: " + failure);
            return 1;
        }
        return 0;
    }
}
