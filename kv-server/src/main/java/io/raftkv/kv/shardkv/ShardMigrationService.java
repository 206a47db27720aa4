package io.raftkv.kv.shardkv;

import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
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
import io.raftkv.raft.service.RaftRequests;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The side of a replica that other groups talk to when a shard changes owner. PullShard is answered by any replica
 * from its applied state at once (a chunk, "not yet" or "gone": never a wait); DeleteShard is proposed through this
 * group's log on its leader and answered once applied.
 */
public final class ShardMigrationService extends ShardMigrationGrpc.ShardMigrationImplBase {
    private static final Logger LOG = LoggerFactory.getLogger(ShardMigrationService.class);

    private final ShardGroupStore store;
    private final RaftRequests requests;
    private final String nodeId;
    private final Clock clock;
    private final Executor executor;
    private final int chunkBytes;

    public ShardMigrationService(ShardGroupStore store, RaftService raft, String nodeId, Duration requestTimeout,
            Clock clock, Executor executor, int chunkBytes) {
        this.store = store;
        this.requests = new RaftRequests(raft, requestTimeout);
        this.nodeId = nodeId;
        this.clock = clock;
        this.executor = executor;
        this.chunkBytes = chunkBytes;
    }

    @Override
    public void pullShard(PullShardRequest request, StreamObserver<PullShardReply> out) {
        // Reading a chunk is RocksDB I/O: not on the gRPC thread.
        CompletableFuture.supplyAsync(() -> store.pull(request, chunkBytes), executor).whenComplete((reply, error) -> {
            if (error != null) {
                LOG.warn("cannot answer a pull of shard {}: {}", request.getShard(), error.toString());
                fail(out, error);
                return;
            }
            send(out, reply.toBuilder().setCode(ErrorCode.OK).setNodeId(nodeId).build());
        });
    }

    @Override
    public void deleteShard(DeleteShardRequest request, StreamObserver<DeleteShardReply> out) {
        byte[] entry = ShardKvCommand.newBuilder().setTimestampMillis(clock.millis())
                .setDeleteShard(ShardRef.newBuilder().setConfigNum(request.getConfigNum())
                        .setShard(request.getShard()))
                .build().toByteArray();
        requests.propose(entry).whenCompleteAsync((bytes, error) -> {
            DeleteShardReply.Builder reply = DeleteShardReply.newBuilder().setNodeId(nodeId);
            if (error == null) {
                try {
                    ShardCommandResult result = ShardCommandResult.parseFrom(bytes);
                    reply.setCode(result.getCode()).setMessage(result.getMessage())
                            .setConfigNum(result.getConfigNum());
                } catch (InvalidProtocolBufferException e) {
                    fail(out, e);
                    return;
                }
            } else {
                RaftRequests.Failure failure = requests.failure(error);
                if (failure == null) {
                    fail(out, error);
                    return;
                }
                reply.setCode(failure.code()).setMessage(failure.message());
                if (failure.hint() != null) {
                    reply.setLeader(failure.hint());
                }
            }
            send(out, reply.build());
        }, executor);
    }

    private static <T> void send(StreamObserver<T> out, T reply) {
        try {
            out.onNext(reply);
            out.onCompleted();
        } catch (RuntimeException e) {
            LOG.debug("could not answer a migration request (the caller went away?): {}", e.toString());
        }
    }

    private <T> void fail(StreamObserver<T> out, Throwable error) {
        try {
            out.onError(Status.UNAVAILABLE.withDescription("node " + nodeId + " cannot serve the request: "
                    + RaftRequests.unwrap(error)).asRuntimeException());
        } catch (RuntimeException e) {
            LOG.debug("could not answer a migration request (the caller went away?): {}", e.toString());
        }
    }
}
