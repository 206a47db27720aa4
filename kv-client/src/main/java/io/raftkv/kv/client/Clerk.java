package io.raftkv.kv.client;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.protobuf.ByteString;
import io.grpc.StatusRuntimeException;
import io.raftkv.common.cli.HostPort;
import io.raftkv.common.client.Answer;
import io.raftkv.common.client.CallFailures;
import io.raftkv.common.client.ClientOptions;
import io.raftkv.common.client.LeaderSeekingClient;
import io.raftkv.common.client.RequestRejectedException;
import io.raftkv.common.client.ServiceUnavailableException;
import io.raftkv.common.client.SessionPool;
import io.raftkv.proto.kv.AppendRequest;
import io.raftkv.proto.kv.DeleteRequest;
import io.raftkv.proto.kv.GetReply;
import io.raftkv.proto.kv.GetRequest;
import io.raftkv.proto.kv.KvGrpc;
import io.raftkv.proto.kv.PutRequest;
import io.raftkv.proto.kv.StatusReply;
import io.raftkv.proto.kv.StatusRequest;
import io.raftkv.proto.kv.WriteReply;
import io.raftkv.proto.service.ErrorCode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The client of a raftkv KV cluster: a thin KV face on {@link LeaderSeekingClient}, which sends each request to the
 * node it believes is the leader, follows NOT_LEADER hints, and retries other nodes with backoff until the
 * operation's deadline.
 *
 * <p>Writes are exactly-once: each write borrows a client session and every retry of that write carries the same
 * (client id, sequence), so the servers apply it once. The Clerk is thread-safe.
 *
 * <p>Failures are typed: {@link KvUnavailableException} when no leader answered in time (for a write, the outcome is
 * then unknown), {@link KvInvalidArgumentException} when the cluster rejected the request.
 */
public final class Clerk implements KvClient {
    private final LeaderSeekingClient<KvGrpc.KvBlockingStub> client;

    private Clerk(List<HostPort> cluster, ClientOptions options) {
        this.client = new LeaderSeekingClient<>(cluster, KvGrpc::newBlockingStub, options, new SessionPool());
    }

    /** A Clerk for the cluster at {@code cluster} (any of its nodes, in any order), with default options. */
    public static Clerk connect(List<HostPort> cluster) {
        return new Clerk(cluster, ClientOptions.DEFAULT);
    }

    public static Clerk connect(List<HostPort> cluster, ClientOptions options) {
        return new Clerk(cluster, options);
    }

    public List<HostPort> cluster() {
        return client.cluster();
    }

    // ---- operations ----

    @Override
    public GetResult get(byte[] key) {
        GetRequest request = GetRequest.newBuilder().setKey(ByteString.copyFrom(key)).build();
        return translated(() -> client.call("get", stub -> {
            GetReply reply = stub.get(request);
            GetResult result = reply.getCode() == ErrorCode.OK
                    ? new GetResult.Found(reply.getValue().toByteArray())
                    : new GetResult.NotFound();
            return Answer.of(reply.getCode(), result, reply.getMessage(), reply.hasLeader(), reply.getLeader(),
                    reply.getNodeId());
        }));
    }

    @Override
    public void put(byte[] key, byte[] value) {
        write("put", (stub, clientId, sequence) -> stub.put(PutRequest.newBuilder()
                .setKey(ByteString.copyFrom(key)).setValue(ByteString.copyFrom(value))
                .setClientId(clientId).setSequence(sequence).build()));
    }

    @Override
    public void append(byte[] key, byte[] value) {
        write("append", (stub, clientId, sequence) -> stub.append(AppendRequest.newBuilder()
                .setKey(ByteString.copyFrom(key)).setValue(ByteString.copyFrom(value))
                .setClientId(clientId).setSequence(sequence).build()));
    }

    @Override
    public boolean delete(byte[] key) {
        return write("delete", (stub, clientId, sequence) -> stub.delete(DeleteRequest.newBuilder()
                .setKey(ByteString.copyFrom(key)).setClientId(clientId).setSequence(sequence).build()))
                == ErrorCode.OK;
    }

    /** Every configured node's status, asked in parallel, each within the attempt timeout. */
    public List<NodeReport> status() {
        List<LeaderSeekingClient<KvGrpc.KvBlockingStub>.Endpoint> endpoints = client.endpoints();
        long attemptNanos = client.options().attemptTimeout().toNanos();
        List<ListenableFuture<StatusReply>> calls = new ArrayList<>();
        for (var endpoint : endpoints) {
            calls.add(KvGrpc.newFutureStub(endpoint.channel()).withDeadlineAfter(attemptNanos, TimeUnit.NANOSECONDS)
                    .status(StatusRequest.getDefaultInstance()));
        }
        List<NodeReport> reports = new ArrayList<>();
        for (int i = 0; i < endpoints.size(); i++) {
            var endpoint = endpoints.get(i);
            try {
                StatusReply reply = calls.get(i).get();
                endpoint.learnNodeId(reply.getNodeId());
                reports.add(new NodeReport(endpoint.address(), reply, null));
            } catch (ExecutionException e) {
                reports.add(new NodeReport(endpoint.address(), null, e.getCause() instanceof StatusRuntimeException s
                        ? CallFailures.describe(s) : String.valueOf(e.getCause())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new KvUnavailableException("interrupted while asking for the cluster's status");
            }
        }
        return reports;
    }

    @Override
    public void close() {
        client.close();
    }

    private interface WriteCall {
        WriteReply call(KvGrpc.KvBlockingStub stub, long clientId, long sequence);
    }

    private ErrorCode write(String what, WriteCall call) {
        return translated(() -> client.callWithSession(what, (stub, clientId, sequence) -> {
            WriteReply reply = call.call(stub, clientId, sequence);
            return Answer.of(reply.getCode(), reply.getCode(), reply.getMessage(), reply.hasLeader(),
                    reply.getLeader(), reply.getNodeId());
        }));
    }

    /** The generic client's failures as the KV client's typed exceptions (for the ShardedClerk too). */
    static <R> R translated(Supplier<R> call) {
        try {
            return call.get();
        } catch (ServiceUnavailableException e) {
            throw new KvUnavailableException(e.getMessage());
        } catch (RequestRejectedException e) {
            throw new KvInvalidArgumentException(e.getMessage());
        }
    }

}
