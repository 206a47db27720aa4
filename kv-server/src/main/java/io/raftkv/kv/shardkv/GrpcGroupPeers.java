package io.raftkv.kv.shardkv;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.raftkv.common.cli.HostPort;
import io.raftkv.common.shardctrler.ControllerClerk;
import io.raftkv.proto.shardctrler.Config;
import io.raftkv.proto.shardkv.DeleteShardReply;
import io.raftkv.proto.shardkv.DeleteShardRequest;
import io.raftkv.proto.shardkv.PullShardReply;
import io.raftkv.proto.shardkv.PullShardRequest;
import io.raftkv.proto.shardkv.ShardMigrationGrpc;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * {@link GroupPeers} over gRPC: the controller through a {@link ControllerClerk}, other groups' replicas through one
 * channel per address. The blocking calls run on virtual threads, each bounded by a deadline, so the driver's
 * thread never waits.
 */
public final class GrpcGroupPeers implements GroupPeers, AutoCloseable {
    private final ControllerClerk controller;
    private final Duration callTimeout;
    private final int maxInboundBytes;
    private final ExecutorService calls = Executors.newVirtualThreadPerTaskExecutor();
    private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();

    /**
     * @param callTimeout the deadline of one call to another group's replica
     * @param maxInboundBytes the largest reply accepted (a chunk of a shard)
     */
    public GrpcGroupPeers(ControllerClerk controller, Duration callTimeout, int maxInboundBytes) {
        this.controller = controller;
        this.callTimeout = callTimeout;
        this.maxInboundBytes = maxInboundBytes;
    }

    @Override
    public CompletableFuture<Config> query(long num) {
        return CompletableFuture.supplyAsync(() -> controller.query(num).toProto(), calls);
    }

    @Override
    public CompletableFuture<PullShardReply> pull(String server, PullShardRequest request) {
        return CompletableFuture.supplyAsync(() -> stub(server).pullShard(request), calls);
    }

    @Override
    public CompletableFuture<DeleteShardReply> delete(String server, DeleteShardRequest request) {
        return CompletableFuture.supplyAsync(() -> stub(server).deleteShard(request), calls);
    }

    private ShardMigrationGrpc.ShardMigrationBlockingStub stub(String server) {
        ManagedChannel channel = channels.computeIfAbsent(server, address -> {
            HostPort target = HostPort.parse(address);
            return ManagedChannelBuilder.forAddress(target.host(), target.port()).usePlaintext()
                    .maxInboundMessageSize(maxInboundBytes).build();
        });
        return ShardMigrationGrpc.newBlockingStub(channel).withDeadlineAfter(callTimeout.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        calls.shutdownNow();
        channels.values().forEach(ManagedChannel::shutdownNow);
        controller.close();
    }
}
