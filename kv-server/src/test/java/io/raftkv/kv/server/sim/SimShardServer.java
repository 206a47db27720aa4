package io.raftkv.kv.server.sim;

import com.google.protobuf.Message;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raftkv.kv.server.KvLimits;
import io.raftkv.kv.server.KvService;
import io.raftkv.kv.server.NodeIdentity;
import io.raftkv.kv.shardkv.GroupPeers;
import io.raftkv.kv.shardkv.ShardBackend;
import io.raftkv.kv.shardkv.ShardGroupDriver;
import io.raftkv.kv.shardkv.ShardGroupReplica;
import io.raftkv.kv.shardkv.ShardMigrationService;
import io.raftkv.proto.shardkv.DeleteShardRequest;
import io.raftkv.proto.shardkv.PullShardRequest;
import io.raftkv.raft.core.Role;
import io.raftkv.raft.service.RaftRequests;
import io.raftkv.raft.sim.Scheduler;
import io.raftkv.raft.sim.SimNode;
import io.raftkv.raft.sim.Simulation;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * One incarnation of a replica group's node: the real Kv service over a {@link ShardBackend}, the real
 * {@link ShardMigrationService}, and the real {@link ShardGroupDriver} ticking every 100 ms of virtual time, all over a
 * {@link SimRaftService} and the node's {@link ShardGroupReplica}. Everything runs inside simulation steps.
 */
final class SimShardServer implements SimFrontEnd {
    static final long DRIVER_TICK = 100 * Scheduler.MILLIS;

    private final SimRaftService raft;
    private final KvService kv;
    private final ShardMigrationService migration;
    private final SimCalls calls = new SimCalls();
    private boolean crashed;

    SimShardServer(Simulation sim, SimNode node, ShardGroupReplica store, GroupPeers peers, Clock clock) {
        this.raft = new SimRaftService(node);
        NodeIdentity self = new NodeIdentity(node.id(), node.id());
        this.kv = new KvService(raft, new ShardBackend(store), self, KvLimits.DEFAULT, SimKvServer.REQUEST_TIMEOUT,
                clock, Runnable::run, new SimpleMeterRegistry());
        this.migration = new ShardMigrationService(store, raft, node.id(), SimKvServer.REQUEST_TIMEOUT, clock,
                Runnable::run, ShardGroupReplica.CHUNK_BYTES, new SimpleMeterRegistry());
        RaftRequests requests = new RaftRequests(raft, SimKvServer.REQUEST_TIMEOUT);
        ShardGroupDriver driver = new ShardGroupDriver(store, new ShardGroupDriver.Log() {
            @Override
            public boolean isLeader() {
                return !crashed && raft.status().role() == Role.LEADER;
            }

            @Override
            public CompletableFuture<byte[]> propose(byte[] entry) {
                return requests.propose(entry);
            }
        }, peers, Runnable::run, clock, ShardGroupDriver.PullEvents.NONE);
        tickEvery(sim.scheduler(), driver);
    }

    private void tickEvery(Scheduler scheduler, ShardGroupDriver driver) {
        scheduler.after(DRIVER_TICK, () -> {
            if (!crashed) {
                driver.tick();
                tickEvery(scheduler, driver);
            }
        });
    }

    @Override
    public SimRaftService raft() {
        return raft;
    }

    @Override
    public void handle(Message request, Consumer<ClientReply> respond) {
        if (SimKvServer.handleKv(kv, calls, request, respond)) {
            return;
        }
        switch (request) {
            case PullShardRequest pull -> migration.pullShard(pull, calls.open(respond));
            case DeleteShardRequest delete -> migration.deleteShard(delete, calls.open(respond));
            default -> throw new IllegalArgumentException("not a shard group request: " + request.getClass());
        }
    }

    @Override
    public void crash() {
        crashed = true;
        calls.crash();
        raft.stop();
    }
}
