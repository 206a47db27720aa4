package io.raftkv.kv.server.sim;

import com.google.protobuf.Message;
import io.raftkv.kv.shardkv.GroupPeers;
import io.raftkv.proto.shardctrler.Config;
import io.raftkv.proto.shardkv.DeleteShardReply;
import io.raftkv.proto.shardkv.DeleteShardRequest;
import io.raftkv.proto.shardkv.PullShardReply;
import io.raftkv.proto.shardkv.PullShardRequest;
import io.raftkv.raft.sim.Scheduler;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;

/**
 * {@link GroupPeers} over the simulated client network: the controller through a {@link SimCtrlClerk} (which
 * retries until answered), other groups' nodes by the addresses the configuration lists, each call failing after a virtual-time timeout if its
 * request or reply was lost, as a gRPC deadline would.
 */
final class SimGroupPeers implements GroupPeers {
    private static final long CALL_TIMEOUT = 500 * Scheduler.MILLIS;

    private final Scheduler scheduler;
    private final ClientNetwork network;
    private final SimCtrlClerk controller;

    SimGroupPeers(Scheduler scheduler, ClientNetwork network, SimCtrlClerk controller) {
        this.scheduler = scheduler;
        this.network = network;
        this.controller = controller;
    }

    @Override
    public CompletableFuture<Config> query(long num) {
        CompletableFuture<Config> config = new CompletableFuture<>();
        SimCtrlClerk.Call call = controller.query(num);
        call.whenDone(reply -> config.complete(SimCtrlClerk.config(call)));
        return config;
    }

    @Override
    public CompletableFuture<PullShardReply> pull(String server, PullShardRequest request) {
        return call(server, request, PullShardReply.class);
    }

    @Override
    public CompletableFuture<DeleteShardReply> delete(String server, DeleteShardRequest request) {
        return call(server, request, DeleteShardReply.class);
    }

    private <T extends Message> CompletableFuture<T> call(String server, Message request, Class<T> type) {
        CompletableFuture<T> answer = new CompletableFuture<>();
        network.call(server, request, reply -> {
            if (reply.isFailure()) {
                answer.completeExceptionally(new IllegalStateException(reply.failure()));
            } else {
                answer.complete(type.cast(reply.message()));
            }
        });
        scheduler.after(CALL_TIMEOUT, () -> answer.completeExceptionally(
                new TimeoutException("no answer from " + server + " within the deadline")));
        return answer;
    }
}
