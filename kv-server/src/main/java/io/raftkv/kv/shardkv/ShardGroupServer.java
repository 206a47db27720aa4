package io.raftkv.kv.shardkv;

import io.micrometer.core.instrument.MeterRegistry;
import io.raftkv.common.cli.ExitCodes;
import io.raftkv.common.cli.HostPort;
import io.raftkv.common.cli.StartupException;
import io.raftkv.common.client.ClientOptions;
import io.raftkv.common.json.JsonWriter;
import io.raftkv.common.shardctrler.ControllerClerk;
import io.raftkv.kv.server.KvLimits;
import io.raftkv.kv.server.KvService;
import io.raftkv.kv.server.NodeIdentity;
import io.raftkv.proto.kv.ShardStatus;
import io.raftkv.proto.kv.StatusReply;
import io.raftkv.raft.core.Role;
import io.raftkv.raft.runtime.RaftNode;
import io.raftkv.raft.service.RaftRequests;
import io.raftkv.raft.service.ReplicaProcess;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The wiring of a kv-server that is a replica of a replica group: its {@link ShardGroupReplica} under a Raft node
 * named after the group, the Kv service over a {@link ShardBackend}, the {@link ShardMigrationService} other groups
 * pull from, and the {@link ShardGroupDriver} ticking every 100 ms on its own thread.
 */
public final class ShardGroupServer {
    private static final Logger LOG = LoggerFactory.getLogger(ShardGroupServer.class);
    /** How often the leader looks for a new configuration and moves shards (the lab's 100 ms). */
    static final Duration TICK = Duration.ofMillis(100);
    /** The largest pull chunk a proposal may carry: a chunk's bytes plus one key and value of the largest size. */
    static final int MAX_CHUNK_PROPOSAL_BYTES = ShardGroupReplica.CHUNK_BYTES + (24 << 20);

    private ShardGroupServer() {}

    /** Adds a replica of group {@code gid} to {@code process} (it serves once the process does). */
    public static void add(ReplicaProcess process, long gid, List<HostPort> controller, KvLimits limits,
            Duration requestTimeout, Duration sessionTtl, int maxProposalBytes) {
        String group = "g" + gid;
        MeterRegistry registry = process.groupRegistry(group);
        ShardGroupReplica replica = process.closeOnExit(open(process, gid, sessionTtl));
        replica.machine().bindMetrics(registry);
        ShardGroupMetrics metrics = new ShardGroupMetrics(replica, registry);
        int proposalLimit = Math.max(maxProposalBytes, MAX_CHUNK_PROPOSAL_BYTES);
        RaftNode node = process.addNode(process.nodeBuilder(group, process.dataDir().resolve("raft"),
                        replica.machine())
                .maxProposalBytes(proposalLimit));
        ExecutorService replies = process.closeOnExit(Executors.newVirtualThreadPerTaskExecutor());
        Clock clock = Clock.systemUTC();
        NodeIdentity self = new NodeIdentity(process.nodeId(), process.advertisedAddress().toString());
        ShardBackend backend = new ShardBackend(replica);
        process.addService(new KvService(node, backend, self, limits, requestTimeout, clock, replies, registry));
        process.describeOnStatusPage(group, json -> describe(backend, json));
        process.addService(new ShardMigrationService(replica, node, process.nodeId(), requestTimeout, clock, replies,
                ShardGroupReplica.CHUNK_BYTES, registry));
        process.maxInboundMessageBytes(proposalLimit + (8 << 20));

        GrpcGroupPeers peers = process.closeOnExit(new GrpcGroupPeers(
                new ControllerClerk(controller, ClientOptions.DEFAULT.withTimeout(Duration.ofSeconds(2))),
                requestTimeout, proposalLimit + (8 << 20)));
        ScheduledExecutorService loop = process.closeOnExit(new ClosingScheduler(group)).executor();
        RaftRequests requests = new RaftRequests(node, requestTimeout);
        ShardGroupDriver driver = new ShardGroupDriver(replica, new ShardGroupDriver.Log() {
            @Override
            public boolean isLeader() {
                return node.status().role() == Role.LEADER;
            }

            @Override
            public CompletableFuture<byte[]> propose(byte[] entry) {
                return requests.propose(entry);
            }
        }, peers, loop, clock, metrics);
        loop.scheduleWithFixedDelay(() -> {
            try {
                driver.tick();
            } catch (RuntimeException e) {
                LOG.warn("group {}: a migration round failed: {}", gid, e.toString());
            }
        }, TICK.toMillis(), TICK.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The group's part of the status page: the configuration it applied and each shard's state and keys. */
    static void describe(ShardBackend backend, JsonWriter json) {
        StatusReply.Builder status = StatusReply.newBuilder();
        backend.describe(status);
        json.field("config_num", status.getConfigNum()).name("shards").beginArray();
        for (ShardStatus shard : status.getShardsList()) {
            json.beginObject().field("shard", shard.getShard())
                    .field("state", shard.getState().name().toLowerCase(java.util.Locale.ROOT))
                    .field("keys", shard.getKeys()).endObject();
        }
        json.endArray();
    }

    private static ShardGroupReplica open(ReplicaProcess process, long gid, Duration sessionTtl) {
        try {
            return ShardGroupReplica.open(process.dataDir().resolve("kv"), gid, sessionTtl);
        } catch (IOException e) {
            throw new StartupException("cannot open the key/value state: " + e.getMessage(), ExitCodes.FAILURE);
        }
    }

    /** The driver's one thread, stopped with the process. */
    private record ClosingScheduler(ScheduledExecutorService executor) implements AutoCloseable {
        ClosingScheduler(String group) {
            this(Executors.newSingleThreadScheduledExecutor(task -> {
                Thread thread = new Thread(task, "shard-driver-" + group);
                thread.setDaemon(true);
                return thread;
            }));
        }

        @Override
        public void close() {
            executor.shutdownNow();
        }
    }
}
