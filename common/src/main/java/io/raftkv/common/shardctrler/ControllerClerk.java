package io.raftkv.common.shardctrler;

import io.raftkv.common.cli.HostPort;
import io.raftkv.common.client.Answer;
import io.raftkv.common.client.ClientOptions;
import io.raftkv.common.client.LeaderSeekingClient;
import io.raftkv.common.client.RequestRejectedException;
import io.raftkv.common.client.ServiceUnavailableException;
import io.raftkv.common.client.SessionPool;
import io.raftkv.proto.shardctrler.ChangeReply;
import io.raftkv.proto.shardctrler.JoinRequest;
import io.raftkv.proto.shardctrler.LeaveRequest;
import io.raftkv.proto.shardctrler.MoveRequest;
import io.raftkv.proto.shardctrler.QueryReply;
import io.raftkv.proto.shardctrler.QueryRequest;
import io.raftkv.proto.shardctrler.ReplicaGroup;
import io.raftkv.proto.shardctrler.SetServersRequest;
import io.raftkv.proto.shardctrler.ShardCtrlerGrpc;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The client of the shard controller, on {@link LeaderSeekingClient}: Join, Leave and Move are exactly-once (each
 * borrows a session, and every retry carries the same client id and sequence), Query is linearizable. Thread-safe.
 *
 * <p>Failures: {@link ServiceUnavailableException} when no leader answered in time (a change's outcome is then
 * unknown), {@link RequestRejectedException} when the controller refused the request as invalid.
 */
public final class ControllerClerk implements AutoCloseable {
    /** Query's number for the latest configuration. */
    public static final long LATEST = -1;

    private final LeaderSeekingClient<ShardCtrlerGrpc.ShardCtrlerBlockingStub> client;

    public ControllerClerk(List<HostPort> controller, ClientOptions options) {
        this.client = new LeaderSeekingClient<>(controller, ShardCtrlerGrpc::newBlockingStub, options,
                new SessionPool());
    }

    /** Adds the groups (gid -> servers) and returns the number of the configuration that made. */
    public long join(Map<Long, List<HostPort>> groups) {
        Map<Long, List<String>> addresses = new LinkedHashMap<>();
        groups.forEach((gid, servers) -> addresses.put(gid, servers.stream().map(HostPort::toString).toList()));
        return joinAddresses(addresses);
    }

    /**
     * Adds the groups with their servers' addresses as given (the controller checks them, and refuses a malformed
     * one as invalid), and returns the number of the configuration that made.
     */
    public long joinAddresses(Map<Long, List<String>> groups) {
        JoinRequest.Builder request = JoinRequest.newBuilder();
        groups.forEach((gid, servers) -> request.addGroups(ReplicaGroup.newBuilder().setGid(gid)
                .addAllServers(servers)));
        return change("join", (stub, clientId, sequence) -> stub.join(request.setClientId(clientId)
                .setSequence(sequence).build()));
    }

    /**
     * Replaces the server lists of groups that have joined (gid -> servers, addresses as given), moving no shard, and
     * returns the number of the configuration that made.
     */
    public long setServers(Map<Long, List<String>> groups) {
        SetServersRequest.Builder request = SetServersRequest.newBuilder();
        groups.forEach((gid, servers) -> request.addGroups(ReplicaGroup.newBuilder().setGid(gid)
                .addAllServers(servers)));
        return change("set-servers", (stub, clientId, sequence) -> stub.setServers(request.setClientId(clientId)
                .setSequence(sequence).build()));
    }

    /** Removes the groups and returns the number of the configuration that made. */
    public long leave(List<Long> gids) {
        return change("leave", (stub, clientId, sequence) -> stub.leave(LeaveRequest.newBuilder().addAllGids(gids)
                .setClientId(clientId).setSequence(sequence).build()));
    }

    /** Gives {@code shard} to group {@code gid} and returns the number of the configuration that made. */
    public long move(int shard, long gid) {
        return change("move", (stub, clientId, sequence) -> stub.move(MoveRequest.newBuilder().setShard(shard)
                .setGid(gid).setClientId(clientId).setSequence(sequence).build()));
    }

    /** Configuration {@code num}; {@link #LATEST} (or a number past the latest) for the latest. */
    public ShardConfig query(long num) {
        QueryRequest request = QueryRequest.newBuilder().setNum(num).build();
        return client.call("query", stub -> {
            QueryReply reply = stub.query(request);
            return Answer.of(reply.getCode(), reply.hasConfig() ? ShardConfig.from(reply.getConfig()) : null,
                    reply.getMessage(), reply.hasLeader(), reply.getLeader(), reply.getNodeId());
        });
    }

    public List<HostPort> controller() {
        return client.cluster();
    }

    @Override
    public void close() {
        client.close();
    }

    private interface ChangeCall {
        ChangeReply call(ShardCtrlerGrpc.ShardCtrlerBlockingStub stub, long clientId, long sequence);
    }

    private long change(String what, ChangeCall call) {
        return client.callWithSession(what, (stub, clientId, sequence) -> {
            ChangeReply reply = call.call(stub, clientId, sequence);
            return Answer.of(reply.getCode(), reply.getNum(), reply.getMessage(), reply.hasLeader(),
                    reply.getLeader(), reply.getNodeId());
        });
    }
}
