package io.raftkv.kv.client;

import com.google.protobuf.ByteString;
import io.raftkv.common.cli.DurationConverter;
import io.raftkv.common.cli.HostPort;
import io.raftkv.common.client.Answer;
import io.raftkv.common.client.ClientOptions;
import io.raftkv.common.client.LeaderSeekingClient;
import io.raftkv.common.client.RequestRejectedException;
import io.raftkv.common.client.ServiceUnavailableException;
import io.raftkv.common.client.SessionPool;
import io.raftkv.common.shardctrler.ControllerClerk;
import io.raftkv.common.shardctrler.KeyShards;
import io.raftkv.common.shardctrler.ShardConfig;
import io.raftkv.proto.kv.AppendRequest;
import io.raftkv.proto.kv.DeleteRequest;
import io.raftkv.proto.kv.GetReply;
import io.raftkv.proto.kv.GetRequest;
import io.raftkv.proto.kv.KvGrpc;
import io.raftkv.proto.kv.PutRequest;
import io.raftkv.proto.kv.WriteReply;
import io.raftkv.proto.service.ErrorCode;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The client of a sharded raftkv store: it caches the controller's latest configuration, sends each request to the
 * group that configuration names for the key's shard ({@link KeyShards}), with the configuration number, and on
 * WRONG_GROUP refreshes the configuration and tries again (pausing while the group that should serve the shard is
 * still receiving it). Each group is reached through its own {@link LeaderSeekingClient}, which keeps that group's
 * leader; all of them share one {@link SessionPool}, and a write keeps its client id and sequence wherever it is
 * retried, so exactly-once holds across a shard's move (the sessions move with the shard). Group addresses pass
 * through an {@link AddressMap} before they are dialed (a client outside a container network). Thread-safe.
 */
public final class ShardedClerk implements KvClient {
    /** The longest one group is tried before the configuration is asked again (a group may be down or gone). */
    private static final Duration GROUP_ROUND = Duration.ofSeconds(2);

    private final ControllerClerk controller;
    private final ClientOptions options;
    private final ClientOptions groupOptions;
    private final AddressMap addressMap;
    private final SessionPool sessions = new SessionPool();
    private final Map<Long, Group> groups = new ConcurrentHashMap<>();
    private volatile ShardConfig config;

    private record Group(List<HostPort> servers, LeaderSeekingClient<KvGrpc.KvBlockingStub> client) {}

    /** One attempt on a group's node, given the configuration number the client routes by. */
    private interface GroupAttempt<R> {
        Answer<Routed<R>> call(KvGrpc.KvBlockingStub stub, long configNum);
    }

    /** A group's answer: WRONG_GROUP (with the group's configuration number) or the operation's result. */
    private record Routed<R>(boolean wrongGroup, long groupConfigNum, R value) {}

    private ShardedClerk(List<HostPort> controller, ClientOptions options, AddressMap addressMap) {
        this.options = options;
        this.addressMap = addressMap;
        Duration round = options.timeout().compareTo(GROUP_ROUND) < 0 ? options.timeout() : GROUP_ROUND;
        this.groupOptions = options.withTimeout(round);
        this.controller = new ControllerClerk(controller, options.withTimeout(round));
    }

    /** A client of the sharded store whose controller is at {@code controller} (any of its nodes). */
    public static ShardedClerk connect(List<HostPort> controller, ClientOptions options) {
        return connect(controller, options, AddressMap.NONE);
    }

    /** As above, dialing each group server at the address {@code addressMap} gives for it. */
    public static ShardedClerk connect(List<HostPort> controller, ClientOptions options, AddressMap addressMap) {
        return new ShardedClerk(controller, options, addressMap);
    }

    public static ShardedClerk connect(List<HostPort> controller) {
        return connect(controller, ClientOptions.DEFAULT);
    }

    @Override
    public GetResult get(byte[] key) {
        GetRequest.Builder request = GetRequest.newBuilder().setKey(ByteString.copyFrom(key));
        return route("get", key, (stub, configNum) -> {
            GetReply reply = stub.get(request.setConfigNum(configNum).build());
            GetResult result = reply.getCode() == ErrorCode.OK ? new GetResult.Found(reply.getValue().toByteArray())
                    : new GetResult.NotFound();
            return answer(reply.getCode(), reply.getConfigNum(), result, reply.getMessage(), reply.hasLeader(),
                    reply.getLeader(), reply.getNodeId());
        });
    }

    @Override
    public void put(byte[] key, byte[] value) {
        write("put", key, (stub, configNum, clientId, sequence) -> stub.put(PutRequest.newBuilder()
                .setKey(ByteString.copyFrom(key)).setValue(ByteString.copyFrom(value)).setClientId(clientId)
                .setSequence(sequence).setConfigNum(configNum).build()));
    }

    @Override
    public void append(byte[] key, byte[] value) {
        write("append", key, (stub, configNum, clientId, sequence) -> stub.append(AppendRequest.newBuilder()
                .setKey(ByteString.copyFrom(key)).setValue(ByteString.copyFrom(value)).setClientId(clientId)
                .setSequence(sequence).setConfigNum(configNum).build()));
    }

    @Override
    public boolean delete(byte[] key) {
        return write("delete", key, (stub, configNum, clientId, sequence) -> stub.delete(DeleteRequest.newBuilder()
                .setKey(ByteString.copyFrom(key)).setClientId(clientId).setSequence(sequence)
                .setConfigNum(configNum).build())) == ErrorCode.OK;
    }

    /** The latest configuration (asked of the controller now). */
    public ShardConfig configuration() {
        ShardConfig latest = Clerk.translated(() -> controller.query(ControllerClerk.LATEST));
        remember(latest);
        return latest;
    }

    /** Every node of every group of the latest configuration, each asked for its status within the attempt timeout. */
    public Map<Long, List<NodeReport>> groupStatus() {
        return groupStatus(configuration());
    }

    /** Every node of every group of {@code config}, each asked for its status within the attempt timeout. */
    public Map<Long, List<NodeReport>> groupStatus(ShardConfig config) {
        Map<Long, List<NodeReport>> reports = new LinkedHashMap<>();
        for (Map.Entry<Long, List<HostPort>> group : config.groups().entrySet()) {
            try (Clerk clerk = Clerk.connect(addressMap.apply(group.getValue()), options)) {
                reports.put(group.getKey(), clerk.status());
            }
        }
        return reports;
    }

    @Override
    public void close() {
        groups.values().forEach(group -> group.client().close());
        controller.close();
    }

    private interface WriteCall {
        WriteReply call(KvGrpc.KvBlockingStub stub, long configNum, long clientId, long sequence);
    }

    private ErrorCode write(String what, byte[] key, WriteCall call) {
        SessionPool.Session session = sessions.borrow();
        long sequence = session.nextSequence();
        try {
            return route(what, key, (stub, configNum) -> {
                WriteReply reply = call.call(stub, configNum, session.clientId(), sequence);
                return answer(reply.getCode(), reply.getConfigNum(), reply.getCode(), reply.getMessage(),
                        reply.hasLeader(), reply.getLeader(), reply.getNodeId());
            });
        } finally {
            sessions.giveBack(session);
        }
    }

    private static <R> Answer<Routed<R>> answer(ErrorCode code, long groupConfigNum, R value, String message,
            boolean hasHint, io.raftkv.proto.service.LeaderHint hint, String nodeId) {
        return Answer.of(code, new Routed<>(code == ErrorCode.WRONG_GROUP, groupConfigNum, value), message, hasHint,
                hint, nodeId);
    }

    /** Sends the operation to the group serving {@code key}'s shard until one serves it or the timeout passes. */
    private <R> R route(String what, byte[] key, GroupAttempt<R> attempt) {
        long deadline = System.nanoTime() + options.timeout().toNanos();
        long pause = options.initialBackoff().toNanos();
        String problem = "no configuration could be read from the controller";
        ShardConfig routing = config;
        while (System.nanoTime() < deadline) {
            if (routing == null || routing.shards().isEmpty()) {
                routing = refresh();
                if (routing == null || routing.shards().isEmpty()) {
                    problem = routing == null ? problem : "the controller has no configuration with shards yet";
                    pause = pause(pause, deadline);
                    routing = null;
                    continue;
                }
            }
            int shard = KeyShards.shardOf(key, routing.shards().size());
            long gid = routing.groupOf(shard);
            List<HostPort> servers = routing.groups().get(gid);
            if (gid == 0 || servers == null || servers.isEmpty()) {
                problem = "configuration " + routing.num() + " gives shard " + shard + " to no group";
                pause = pause(pause, deadline);
                routing = refresh();
                continue;
            }
            long configNum = routing.num();
            Routed<R> routed;
            try {
                routed = group(gid, servers).client().call(what, stub -> attempt.call(stub, configNum));
            } catch (ServiceUnavailableException e) {
                problem = "group " + gid + " (shard " + shard + "): " + e.getMessage();
                routing = refreshOr(routing);
                continue;
            } catch (RequestRejectedException e) {
                throw new KvInvalidArgumentException(e.getMessage());
            }
            if (!routed.wrongGroup()) {
                return routed.value();
            }
            problem = "group " + gid + " does not serve shard " + shard + " (it is at configuration "
                    + routed.groupConfigNum() + ", the client at " + configNum + ")";
            ShardConfig fresh = refreshOr(routing);
            if (fresh.num() == routing.num()) {
                // The right group, not ready yet (still receiving the shard, or behind the controller): wait a little.
                pause = pause(pause, deadline);
            }
            routing = fresh;
        }
        throw new KvUnavailableException(what + " did not complete within "
                + DurationConverter.text(options.timeout()) + ": " + problem);
    }

    private Group group(long gid, List<HostPort> servers) {
        return groups.compute(gid, (id, known) -> {
            if (known != null && known.servers().equals(servers)) {
                return known;
            }
            if (known != null) {
                known.client().close();
            }
            return new Group(List.copyOf(servers), new LeaderSeekingClient<>(addressMap.apply(servers),
                    KvGrpc::newBlockingStub, groupOptions, sessions));
        });
    }

    /** The latest configuration, or null when the controller did not answer. */
    private ShardConfig refresh() {
        try {
            ShardConfig latest = controller.query(ControllerClerk.LATEST);
            remember(latest);
            return latest;
        } catch (ServiceUnavailableException | RequestRejectedException e) {
            return null;
        }
    }

    private ShardConfig refreshOr(ShardConfig known) {
        ShardConfig latest = refresh();
        return latest == null ? known : latest;
    }

    private void remember(ShardConfig latest) {
        ShardConfig known = config;
        if (known == null || latest.num() > known.num()) {
            config = latest;
        }
    }

    private long pause(long nanos, long deadline) {
        long sleep = Math.min(nanos, Math.max(0, deadline - System.nanoTime()));
        try {
            TimeUnit.NANOSECONDS.sleep(sleep);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KvUnavailableException("interrupted");
        }
        return Math.min(nanos * 2, options.maxBackoff().toNanos());
    }
}
