package io.raftkv.raft.testnode;

import io.raftkv.common.cli.Mains;
import io.raftkv.common.cli.StartupException;
import io.raftkv.raft.runtime.RaftNode;
import io.raftkv.raft.service.ReplicaFlags;
import io.raftkv.raft.service.ReplicaProcess;
import io.raftkv.raft.transport.RaftHost;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * A raft node process for the multi-process tests and the benchmark, on the replicated-service layer as every
 * server is: for each group of {@code --groups}, a {@link RaftNode} replicating a {@link LogStateMachine} in its own
 * directory, all on one port with the {@code TestNode} control API.
 */
@Command(name = "raft-test-node", mixinStandardHelpOptions = true,
        description = "Runs replicas of one or more raft groups, each a replicated log of strings.")
public final class TestNodeMain implements Callable<Integer> {
    @Mixin
    ReplicaFlags replica;

    @Option(names = "--groups", split = ",", defaultValue = "test",
            description = "The groups this process runs a replica of, each with the members of --peers.")
    List<String> groups;

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
        try (ReplicaProcess process = ReplicaProcess.open("raft-test-node", replica)) {
            Map<String, TestNodeService> replicas = new LinkedHashMap<>();
            for (String group : groups) {
                try {
                    RaftHost.checkGroupId(group);
                } catch (IllegalArgumentException e) {
                    throw new StartupException("--groups: " + e.getMessage());
                }
                // One group alone keeps the layout of a single-group node; several get a directory each.
                Path dir = groups.size() == 1 ? process.dataDir() : process.dataDir().resolve("groups").resolve(group);
                LogStateMachine machine = process.closeOnExit(open(dir.resolve("sm")));
                RaftNode node = process.addNode(process.nodeBuilder(group, dir.resolve("raft"), machine)
                        .snapshotCatchUpEntries(catchUpEntries)
                        .snapshotChunkBytes(snapshotChunk)
                        .asyncPersist(asyncPersist));
                replicas.put(group, new TestNodeService(node, machine, process.registry()));
            }
            process.addService(new TestNodeRouter(replicas));
            return process.serve();
        }
    }

    private static LogStateMachine open(Path dir) {
        try {
            return LogStateMachine.open(dir);
        } catch (IOException e) {
            throw new StartupException("cannot open the state machine in " + dir + ": " + e.getMessage(), 1);
        }
    }
}
