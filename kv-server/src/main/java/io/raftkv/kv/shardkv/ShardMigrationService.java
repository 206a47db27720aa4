package io.raftkv.kv.shardkv;

import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.MeterRegistry;
import io.raftkv.proto.service.ErrorCode;
import io.raftkv.proto.shardkv.DeleteShardReply;
import io.raftkv.proto.shardkv.DeleteShardRequest;
import io.raftkv.proto.shardkv.PullShardReply;
import io.raftkv.proto.shardkv.PullShardRequest;
import io.raftkv.proto.shardkv.ShardCommandResult;
import io.raftkv.proto.shardkv.ShardKvCommand;
import io.raftkv.proto.shardkv.ShardMigrationGrpc;
import io.raftkv.proto.shardkv.ShardRef;
import io.raftkv.raft.api.RaftService;
import io.raftkv.raft.service.ReplyForm;
import io.raftkv.raft.service.RequestFrontEnd;
import io.raftkv.raft.service.RequestMetrics;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executor;

/**
 * The side of a replica that other groups talk to when a shard changes owner. PullShard is answered by any replica
 * from its applied state at once (a chunk, "not yet" or "gone": never a wait); DeleteShard is proposed through this
 * group's log on its leader and answered once applied.
 */
public final class ShardMigrationService extends ShardMigrationGrpc.ShardMigrationImplBase {
    /** The request timer: tagged by op (pull_shard/delete_shard) and result. */
    static final String METRIC = "shard.migration.requests";
    private static final ReplyForm<DeleteShardReply.Builder, DeleteShardReply> DELETE = new ReplyForm<>(
            DeleteShardReply::newBuilder, DeleteShardReply.Builder::setCode, DeleteShardReply.Builder::setMessage,
            DeleteShardReply.Builder::setLeader, DeleteShardReply.Builder::setNodeId,
            DeleteShardReply.Builder::getCode, DeleteShardReply.Builder::build);

    private final ShardGroupReplica replica;
    private final RequestFrontEnd front;
    private final Clock clock;
    private final int chunkBytes;

    public ShardMigrationService(ShardGroupReplica replica, RaftService raft, String nodeId, Duration requestTimeout,
            Clock clock, Executor executor, int chunkBytes, MeterRegistry registry) {
        this.replica = replica;
        this.front = new RequestFrontEnd(raft, requestTimeout, "node", nodeId, executor,
                new RequestMetrics(registry, METRIC, "Shard migration requests from other groups by operation and"
                        + " result"));
        this.clock = clock;
        this.chunkBytes = chunkBytes;
    }

    @Override
    public void pullShard(PullShardRequest request, StreamObserver<PullShardReply> out) {
        // Reading a chunk is RocksDB I/O: not on the gRPC thread.
        front.local(out, "pull_shard", System.nanoTime(),
                () -> replica.pull(request, chunkBytes).toBuilder().setCode(ErrorCode.OK).setNodeId(front.nodeId())
                        .build(), PullShardReply::getCode);
    }

    @Override
    public void deleteShard(DeleteShardRequest request, StreamObserver<DeleteShardReply> out) {
        long start = System.nanoTime();
        byte[] entry = ShardKvCommand.newBuilder().setTimestampMillis(clock.millis())
                .setDeleteShard(ShardRef.newBuilder().setConfigNum(request.getConfigNum())
                        .setShard(request.getShard()))
                .build().toByteArray();
        front.propose(out, "delete_shard", start, DELETE, entry, (applied, reply) -> {
            ShardCommandResult result = ShardCommandResult.parseFrom(applied);
            reply.setCode(result.getCode()).setMessage(result.getMessage()).setConfigNum(result.getConfigNum());
        });
    }
}
