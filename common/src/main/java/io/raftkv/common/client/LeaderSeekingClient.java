package io.raftkv.common.client;

import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.nio.NioIoHandler;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import io.grpc.stub.AbstractStub;
import io.raftkv.common.cli.DurationConverter;
import io.raftkv.common.cli.HostPort;
import io.raftkv.proto.service.LeaderHint;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The client side of every Raft-replicated service: sends each call to the node it believes leads, follows
 * NOT_LEADER hints, and retries the other nodes with backoff until the call's deadline.
 *
 * <p>It knows nothing of the service: the caller passes an attempt that makes one call on a stub {@code S} (with the
 * attempt's deadline already set) and reduces the reply to an {@link Answer}. Writes go through
 * {@link #callWithSession}, which borrows a session from a {@link SessionPool} and hands every retry the same
 * (client id, sequence), so the servers apply the write once.
 *
 * <p>Leader hints carry the leader's own advertised address, which may only be reachable inside the cluster's network
 * (a Docker service name, say). The client learns which configured address is which node id from every answer, and
 * goes to the configured address of the hinted id. Thread-safe.
 */
public final class LeaderSeekingClient<S extends AbstractStub<S>> implements AutoCloseable {
    /**
     * The client's own network threads, stopped by {@link #close}: gRPC's shared ones outlive the client, and a JVM
     * exiting while a network thread waits in native code first waits 300 ms for it (a third of a CLI call).
     */
    private final EventLoopGroup eventLoop;
    private final List<Endpoint> endpoints;
    private final List<S> stubs;
    private final ClientOptions options;
    private final SessionPool sessions;
    private final Map<String, Integer> endpointById = new ConcurrentHashMap<>();
    private volatile int leader;

    /** One attempt on one node: make the call on {@code stub} and reduce its reply. */
    public interface Attempt<S, R> {
        Answer<R> call(S stub);
    }

    /** One attempt of a write: every retry gets the same client id and sequence. */
    public interface SessionAttempt<S, R> {
        Answer<R> call(S stub, long clientId, long sequence);
    }

    /** A configured node: its address, its channel (for calls outside the retry loop) and its learned id. */
    public final class Endpoint {
        private final int index;
        private final HostPort address;
        private final ManagedChannel channel;
        private volatile String nodeId = "";

        private Endpoint(int index, HostPort address) {
            this.index = index;
            this.address = address;
            this.channel = NettyChannelBuilder.forAddress(address.host(), address.port())
                    .eventLoopGroup(eventLoop)
                    .channelType(NioSocketChannel.class)
                    .usePlaintext()
                    .maxInboundMessageSize(options.maxInboundMessageBytes())
                    .build();
        }

        public HostPort address() {
            return address;
        }

        public Channel channel() {
            return channel;
        }

        /** Records that this address answers as {@code id}, so hints naming {@code id} come here. */
        public void learnNodeId(String id) {
            if (id != null && !id.isEmpty() && !id.equals(nodeId)) {
                nodeId = id;
                endpointById.put(id, index);
            }
        }
    }

    /**
     * A client of the cluster at {@code cluster} (any of its nodes, in any order).
     *
     * @param newStub makes the service's stub over a node's channel
     * @param sessions where writes borrow their sessions; share one pool between clients of several groups to keep
     *     one client id and sequence across them
     */
    public LeaderSeekingClient(List<HostPort> cluster, Function<Channel, S> newStub, ClientOptions options,
            SessionPool sessions) {
        if (cluster.isEmpty()) {
            throw new IllegalArgumentException("a cluster needs at least one address");
        }
        this.options = options;
        this.sessions = sessions;
        this.eventLoop = new MultiThreadIoEventLoopGroup(
                Math.min(cluster.size(), Runtime.getRuntime().availableProcessors()),
                new DefaultThreadFactory("raftkv-client-io", true), NioIoHandler.newFactory());
        List<Endpoint> created = new ArrayList<>();
        List<S> createdStubs = new ArrayList<>();
        for (HostPort address : cluster) {
            Endpoint endpoint = new Endpoint(created.size(), address);
            created.add(endpoint);
            createdStubs.add(newStub.apply(endpoint.channel));
        }
        this.endpoints = List.copyOf(created);
        this.stubs = List.copyOf(createdStubs);
    }

    public List<Endpoint> endpoints() {
        return endpoints;
    }

    public List<HostPort> cluster() {
        return endpoints.stream().map(Endpoint::address).toList();
    }

    public ClientOptions options() {
        return options;
    }

    /**
     * Runs {@code attempt} on the leader (finding it as needed) until an answer ends it or the timeout passes; which
     * node is tried next, and when, is the {@link LeaderSeekingPolicy}'s decision.
     */
    public <R> R call(String what, Attempt<S, R> attempt) {
        LeaderSeekingPolicy policy = new LeaderSeekingPolicy(endpoints.size(), leader, options, System.nanoTime(),
                ThreadLocalRandom.current());
        Map<HostPort, String> problems = new LinkedHashMap<>();
        while (true) {
            int target = policy.target();
            long attemptNanos = policy.attemptNanos(System.nanoTime());
            if (attemptNanos <= 0) {
                throw unavailable(what, problems);
            }
            Endpoint endpoint = endpoints.get(target);
            LeaderSeekingPolicy.Next next;
            try {
                Answer<R> answer = attempt.call(stubs.get(target).withDeadlineAfter(attemptNanos,
                        TimeUnit.NANOSECONDS));
                endpoint.learnNodeId(answer.nodeId());
                switch (answer.code()) {
                    case INVALID_ARGUMENT -> throw new RequestRejectedException(answer.message());
                    case NOT_LEADER -> {
                        problems.put(endpoint.address, "not the leader" + describe(answer.hint()));
                        Integer hinted = resolve(answer.hint());
                        next = policy.notLeader(hinted == null ? -1 : hinted, System.nanoTime());
                    }
                    case TIMEOUT -> {
                        problems.put(endpoint.address, "timed out: " + answer.message());
                        next = policy.couldNotServe(System.nanoTime());
                    }
                    default -> {
                        if (!answer.retryable()) {
                            leader = target;
                            return answer.value();
                        }
                        problems.put(endpoint.address, "answered " + answer.code());
                        next = policy.couldNotServe(System.nanoTime());
                    }
                }
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() == Status.Code.RESOURCE_EXHAUSTED) {
                    throw new RequestRejectedException("the request is too large for the server: "
                            + e.getStatus().getDescription());
                }
                problems.put(endpoint.address, CallFailures.describe(e));
                next = policy.failed(CallFailures.isConnectionRefused(e), System.nanoTime());
            }
            switch (next) {
                case LeaderSeekingPolicy.Next.GiveUp g -> throw new ServiceUnavailableException(
                        "every node refused the connection, twice in a row" + listed(problems)
                                + "; is the cluster running?");
                case LeaderSeekingPolicy.Next.Attempt a -> {
                    pause(a.pauseNanos());
                    if (a.newRound()) {
                        for (Endpoint each : endpoints) {
                            each.channel.resetConnectBackoff();
                        }
                    }
                }
            }
        }
    }

    /** Like {@link #call}, with a borrowed session whose next sequence number every retry carries. */
    public <R> R callWithSession(String what, SessionAttempt<S, R> attempt) {
        SessionPool.Session session = sessions.borrow();
        long sequence = session.nextSequence();
        try {
            return call(what, stub -> attempt.call(stub, session.clientId(), sequence));
        } finally {
            sessions.giveBack(session);
        }
    }

    @Override
    public void close() {
        for (Endpoint endpoint : endpoints) {
            endpoint.channel.shutdownNow();
        }
        try {
            for (Endpoint endpoint : endpoints) {
                endpoint.channel.awaitTermination(2, TimeUnit.SECONDS);
            }
            eventLoop.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS).await(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The configured node a hint points at: by node id if learned, else by an address we were given; or null. */
    private Integer resolve(LeaderHint hint) {
        if (hint == null) {
            return null;
        }
        if (!hint.getLeaderId().isEmpty()) {
            Integer byId = endpointById.get(hint.getLeaderId());
            if (byId != null) {
                return byId;
            }
        }
        if (!hint.getLeaderAddress().isEmpty()) {
            try {
                HostPort address = HostPort.parse(hint.getLeaderAddress());
                for (Endpoint endpoint : endpoints) {
                    if (endpoint.address.equals(address)) {
                        return endpoint.index;
                    }
                }
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
        return null;
    }

    private static void pause(long nanos) {
        if (nanos <= 0) {
            return;
        }
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ServiceUnavailableException("interrupted while waiting to retry");
        }
    }

    private ServiceUnavailableException unavailable(String what, Map<HostPort, String> problems) {
        return new ServiceUnavailableException("no leader completed the " + what + " within "
                + DurationConverter.text(options.timeout()) + listed(problems));
    }

    /** " (node: problem; ...)", or nothing when there is none. */
    private static String listed(Map<HostPort, String> problems) {
        if (problems.isEmpty()) {
            return "";
        }
        StringBuilder message = new StringBuilder(" (");
        String separator = "";
        for (Map.Entry<HostPort, String> problem : problems.entrySet()) {
            message.append(separator).append(problem.getKey()).append(": ").append(problem.getValue());
            separator = "; ";
        }
        return message.append(')').toString();
    }

    private static String describe(LeaderHint hint) {
        if (hint == null || (hint.getLeaderId().isEmpty() && hint.getLeaderAddress().isEmpty())) {
            return ", leader unknown";
        }
        return ", leader is " + (hint.getLeaderId().isEmpty() ? "?" : hint.getLeaderId())
                + (hint.getLeaderAddress().isEmpty() ? "" : " at " + hint.getLeaderAddress());
    }
}
