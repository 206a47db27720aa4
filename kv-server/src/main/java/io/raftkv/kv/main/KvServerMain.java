package io.raftkv.kv.main;

import io.micrometer.core.instrument.MeterRegistry;
import io.raftkv.common.cli.DurationConverter;
import io.raftkv.common.cli.ExitCodes;
import io.raftkv.common.cli.HostPort;
import io.raftkv.common.cli.Mains;
import io.raftkv.common.cli.StartupException;
import io.raftkv.kv.plain.PlainKvRules;
import io.raftkv.kv.server.KvLimits;
import io.raftkv.kv.server.KvService;
import io.raftkv.kv.server.NodeIdentity;
import io.raftkv.kv.shardkv.ShardGroupServer;
import io.raftkv.kv.state.KvStateMachine;
import io.raftkv.raft.runtime.RaftNode;
import io.raftkv.raft.service.ReplicaFlags;
import io.raftkv.raft.service.ReplicaProcess;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code kv-server}: one node of a replicated key/value store, serving clients and its Raft peers on one port. */
@Command(name = "kv-server", sortOptions = false, usageHelpAutoWidth = true,
        description = {
            "Runs one node of a raftkv cluster: a Raft replica of a key/value store in RocksDB. Clients (bin/kv, the"
                    + " Clerk) and the other nodes reach it on one gRPC port. Writes are replicated through the Raft"
                    + " log and applied exactly once; reads are linearizable (ReadIndex). Start every member with the"
                    + " same --peers list.",
            "",
            "Example (three nodes on one machine):",
            "  kv-server --id n1 --peers n1=127.0.0.1:7001,n2=127.0.0.1:7002,n3=127.0.0.1:7003 --data-dir data/n1",
            "",
            "A replica of group 100 of a sharded store (the controller at 7101-7103):",
            "  kv-server --group 100 --controller 127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103 --id a1"
                    + " --peers a1=127.0.0.1:7201,a2=127.0.0.1:7202,a3=127.0.0.1:7203 --data-dir data/a1",
            ""},
        footer = {"", "Exit codes: 0 stopped, 1 failed (a damaged data directory, a storage error), 2 usage error."})
public final class KvServerMain implements Callable<Integer> {
    /** The Raft group of the unsharded service: its metrics carry {@code group="kv"}. */
    static final String GROUP = "kv";

    @Mixin
    ReplicaFlags replica;

    @Option(names = "--max-key-bytes", paramLabel = "BYTES", defaultValue = "4096",
            description = "Reject longer keys with INVALID_ARGUMENT (default: ${DEFAULT-VALUE}).")
    int maxKeyBytes;

    @Option(names = "--max-value-bytes", paramLabel = "BYTES", defaultValue = "1048576",
            description = "Reject longer values with INVALID_ARGUMENT (default: ${DEFAULT-VALUE}).")
    int maxValueBytes;

    @Option(names = "--group", paramLabel = "GID",
            description = "Run as a replica of replica group GID (a positive number) of a sharded store: the node"
                    + " serves the shards the controller gives its group and migrates shards with the other groups."
                    + " Needs --controller. Without it the node is a replica of the unsharded store.")
    Long group;

    @Option(names = "--controller", paramLabel = "HOST:PORT", split = ",", converter = HostPort.Converter.class,
            description = "The shard controller's nodes (any of them, comma-separated), with --group.")
    List<HostPort> controller;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    public static void main(String[] args) {
        Mains.run(new KvServerMain(), args);
    }

    @Override
    public Integer call() throws Exception {
        KvLimits limits = limits();
        if (group != null || controller != null) {
            return serveGroup(limits);
        }
        try (ReplicaProcess process = ReplicaProcess.open("kv-server", replica)) {
            MeterRegistry registry = process.groupRegistry(GROUP);
            KvStateMachine machine = process.closeOnExit(openState(process.dataDir().resolve("kv")));
            machine.bindMetrics(registry);
            RaftNode node = process.addNode(process.nodeBuilder(GROUP, process.dataDir().resolve("raft"), machine)
                    .maxProposalBytes(maxProposalBytes(limits)));
            ExecutorService replies = process.closeOnExit(Executors.newVirtualThreadPerTaskExecutor());
            process.addService(new KvService(node, machine,
                    new NodeIdentity(replica.id(), process.advertisedAddress().toString()), limits,
                    replica.requestTimeout(), Clock.systemUTC(), replies, registry));
            // A peer's append carries a whole proposal plus the rest of its batch (up to 2 MiB).
            process.maxInboundMessageBytes(Math.max(8 << 20, maxProposalBytes(limits) + (4 << 20)));
            return process.serve();
        }
    }

    private int serveGroup(KvLimits limits) throws InterruptedException {
        if (group == null || controller == null || controller.isEmpty()) {
            throw new StartupException(group == null ? "--controller needs --group GID" : "--group needs --controller"
                    + " HOST:PORT,... (the shard controller's nodes)");
        }
        if (group <= 0) {
            throw new StartupException("--group must be a positive number, not " + group);
        }
        try (ReplicaProcess process = ReplicaProcess.open("kv-server", replica)) {
            ShardGroupServer.add(process, group, controller, limits, replica.requestTimeout(), replica.sessionTtl(),
                    maxProposalBytes(limits));
            return process.serve();
        }
    }

    /** The largest command a request can make: key, value and the envelope (client id, sequence, clock). */
    private static int maxProposalBytes(KvLimits limits) {
        return limits.maxKeyBytes() + limits.maxValueBytes() + 4096;
    }

    private KvLimits limits() {
        try {
            return new KvLimits(maxKeyBytes, maxValueBytes);
        } catch (IllegalArgumentException e) {
            throw new StartupException(e.getMessage());
        }
    }

    private KvStateMachine openState(Path dir) {
        try {
            return PlainKvRules.openState(dir, replica.sessionTtl());
        } catch (IOException e) {
            throw new StartupException("cannot open the key/value state: " + e.getMessage(), ExitCodes.FAILURE);
        }
    }
}
