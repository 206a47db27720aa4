package io.raftkv.kv.shardkv;

import io.raftkv.proto.shardctrler.Config;
import io.raftkv.proto.shardkv.DeleteShardReply;
import io.raftkv.proto.shardkv.DeleteShardRequest;
import io.raftkv.proto.shardkv.PullShardReply;
import io.raftkv.proto.shardkv.PullShardRequest;
import java.util.concurrent.CompletableFuture;

/**
 * Everything a replica group's {@link ShardGroupDriver} asks of the world outside its own log: the controller's
 * configurations and the other groups' servers. Every call returns at once; its future completes (on any thread)
 * with the answer, or fails when the server could not be reached in time. Real processes use gRPC
 * ({@link GrpcGroupPeers}); the simulator its own network.
 */
public interface GroupPeers {

    /** Configuration {@code num}, or the latest if the controller has none that new (its number says which). */
    CompletableFuture<Config> query(long num);

    /** Asks {@code server} (host:port of a replica of another group) for a chunk of a shard. */
    CompletableFuture<PullShardReply> pull(String server, PullShardRequest request);

    /** Asks {@code server} to delete a shard its group handed over. */
    CompletableFuture<DeleteShardReply> delete(String server, DeleteShardRequest request);
}
