package io.raftkv.kv.main;

import io.micrometer.core.instrument.MeterRegistry;
import io.raftkv.common.cli.DurationConverter;
import io.raftkv.common.cli.ExitCodes;
import io.raftkv.common.cli.Mains;
import io.raftkv.common.cli.StartupException;
import io.raftkv.kv.shardctrler.ConfigHistoryJson;
import io.raftkv.kv.shardctrler.ControllerMetrics;
import io.raftkv.kv.shardctrler.ControllerService;
import io.raftkv.kv.shardctrler.ControllerStateMachine;
import io.raftkv.raft.runtime.RaftNode;
import io.raftkv.raft.service.ReplicaFlags;
import io.raftkv.raft.service.ReplicaProcess;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code shardctrler}: one node of the shard controller, the Raft group that decides which group serves a shard. */
@Command(name = "shardctrler", sortOptions = false, usageHelpAutoWidth = true,
        description = {
            "Runs one node of the raftkv shard controller: a Raft-replicated service that keeps every configuration"
                    + " of a sharded cluster (which replica group serves each shard, and each group's servers)."
                    + " bin/shardctl and the replica groups reach it on one gRPC port. Join, Leave and Move are"
                    + " applied exactly once and rebalance with the fewest shard moves; Query is linearizable."
                    + " Start every member with the same --peers and --shards.",
            "",
            "Example (three nodes on one machine):",
            "  shardctrler --id c1 --peers c1=127.0.0.1:7101,c2=127.0.0.1:7102,c3=127.0.0.1:7103"
                    + " --data-dir data/c1",
            ""},
        footer = {"", "Exit codes: 0 stopped, 1 failed (a damaged data directory, a storage error), 2 usage error."})
public final class ShardCtrlerMain implements Callable<Integer> {
    /** The controller's Raft group: its metrics carry {@code group="shardctrler"}. */
    static final String GROUP = "shardctrler";
    static final int MAX_SHARDS = 1 << 16;

    @Mixin
    ReplicaFlags replica;

    @Option(names = "--shards", paramLabel = "N", defaultValue = "10",
            description = "How many shards the key space has (1.." + MAX_SHARDS + "). Fixed when the controller's"
                    + " cluster is first created: a later start with another value fails (default: ${DEFAULT-VALUE}).")
    int shards;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    public static void main(String[] args) {
        Mains.run(new ShardCtrlerMain(), args);
    }

    @Override
    public Integer call() throws Exception {
        if (shards < 1 || shards > MAX_SHARDS) {
            throw new StartupException("--shards must be between 1 and " + MAX_SHARDS + ", not " + shards);
        }
        try (ReplicaProcess process = ReplicaProcess.open("shardctrler", replica)) {
            MeterRegistry registry = process.groupRegistry(GROUP);
            ControllerStateMachine machine = process.closeOnExit(openState(process));
            machine.onNewConfig(new ControllerMetrics(registry));
            RaftNode node = process.addNode(process.nodeBuilder(GROUP, process.dataDir().resolve("raft"), machine));
            ExecutorService replies = process.closeOnExit(Executors.newVirtualThreadPerTaskExecutor());
            process.addService(new ControllerService(node, machine, replica.id(), replica.requestTimeout(),
                    Clock.systemUTC(), replies, registry));
            process.describeOnStatusPage(GROUP, json -> ConfigHistoryJson.write(machine, json));
            return process.serve();
        }
    }

    private ControllerStateMachine openState(ReplicaProcess process) {
        try {
            return ControllerStateMachine.open(process.dataDir().resolve("ctrl"), shards, replica.sessionTtl());
        } catch (IOException e) {
            throw new StartupException("cannot open the controller state: " + e.getMessage(), ExitCodes.FAILURE);
        }
    }
}
