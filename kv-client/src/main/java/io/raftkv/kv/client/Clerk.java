package io.raftkv.kv.client;

import com.google.common.util.concurrent.ListenableFuture;
import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.raftkv.common.cli.HostPort;
import io.raftkv.proto.kv.AppendRequest;
import io.raftkv.proto.kv.DeleteRequest;
import io.raftkv.proto.service.ErrorCode;
import io.raftkv.proto.kv.GetReply;
import io.raftkv.proto.kv.GetRequest;
import io.raftkv.proto.kv.KvGrpc;
import io.raftkv.proto.service.LeaderHint;
import io.raftkv.proto.kv.PutRequest;
import io.raftkv.proto.kv.StatusReply;
import io.raftkv.proto.kv.StatusRequest;
import io.raftkv.proto.kv.WriteReply;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The client of a raftkv cluster: sends each request to the node it believes is the leader, follows NOT_LEADER
 * hints, and retries other nodes with backoff until the operation's deadline.
 *
 * <p>Writes are exactly-once: each write takes the next sequence number of a client session (a random 64-bit client
 * id) and every retry of that write carries the same (client id, sequence), so the servers apply it once. The servers
 * keep one last sequence number per client id, so a session never has two writes in flight: the Clerk keeps a pool of
 * sessions and each concurrent caller borrows its own. The Clerk is thread-safe.
 *
 * <p>Leader hints carry the leader's own advertised address, which may only be reachable inside the cluster's network
 * (a Docker service name, say). The Clerk learns which configured address is which node id from every reply, and
 * goes to the configured address of the hinted id.
 *
 * <p>Failures are typed: {@link KvUnavailableException} when no leader answered in time (for a write, the outcome is
 * then unknown), {@link KvInvalidArgumentException} when the cluster rejected the request.
 */
public final class Clerk implements AutoCloseable {
    private final List<Node> nodes;
    private final ClerkOptions options;
    private final Map<String, Integer> nodeIndexById = new ConcurrentHashMap<>();
    private final Deque<Session> idleSessions = new ConcurrentLinkedDeque<>();
    private final SecureRandom random = new SecureRandom();
    private volatile int leader;

    private static final class Node {
        final int index;
        final HostPort address;
        final ManagedChannel channel;
        final KvGrpc.KvBlockingStub stub;
        final KvGrpc.KvFutureStub futureStub;
        volatile String id = "";

        Node(int index, HostPort address, int maxInboundMessageBytes) {
            this.index = index;
            this.address = address;
            this.channel = ManagedChannelBuilder.forAddress(address.host(), address.port())
                    .usePlaintext()
                    .maxInboundMessageSize(maxInboundMessageBytes)
                    .build();
            this.stub = KvGrpc.newBlockingStub(channel);
            this.futureStub = KvGrpc.newFutureStub(channel);
        }
    }

    /** A client id and its last sequence number; used by one caller at a time. */
    private static final class Session {
        final long clientId;
        long lastSequence;

        Session(long clientId) {
            this.clientId = clientId;
        }
    }

    private Clerk(List<HostPort> cluster, ClerkOptions options) {
        if (cluster.isEmpty()) {
            throw new IllegalArgumentException("a cluster needs at least one address");
        }
        this.options = options;
        List<Node> created = new ArrayList<>();
        for (HostPort address : cluster) {
            created.add(new Node(created.size(), address, options.maxInboundMessageBytes()));
        }
        this.nodes = List.copyOf(created);
    }

    /** A Clerk for the cluster at {@code cluster} (any of its nodes, in any order), with default options. */
    public static Clerk connect(List<HostPort> cluster) {
        return new Clerk(cluster, ClerkOptions.DEFAULT);
    }

    public static Clerk connect(List<HostPort> cluster, ClerkOptions options) {
        return new Clerk(cluster, options);
    }

    public List<HostPort> cluster() {
        return nodes.stream().map(node -> node.address).toList();
    }

    // ---- operations ----

    /** Reads {@code key} (linearizable). */
    public GetResult get(byte[] key) {
        GetRequest request = GetRequest.newBuilder().setKey(ByteString.copyFrom(key)).build();
        return run("get", stub -> {
            GetReply reply = stub.get(request);
            GetResult result = reply.getCode() == ErrorCode.OK
                    ? new GetResult.Found(reply.getValue().toByteArray())
                    : new GetResult.NotFound();
            return new Reply<>(reply.getCode(), result, reply.getMessage(), hintOf(reply.hasLeader(),
                    reply.getLeader()), reply.getNodeId());
        });
    }

    public GetResult get(String key) {
        return get(utf8(key));
    }

    /** Sets {@code key} to {@code value}. */
    public void put(byte[] key, byte[] value) {
        write("put", (stub, clientId, sequence) -> stub.put(PutRequest.newBuilder()
                .setKey(ByteString.copyFrom(key)).setValue(ByteString.copyFrom(value))
                .setClientId(clientId).setSequence(sequence).build()));
    }

    public void put(String key, String value) {
        put(utf8(key), utf8(value));
    }

    /** Appends {@code value} to the value of {@code key} (an absent key counts as empty). */
    public void append(byte[] key, byte[] value) {
        write("append", (stub, clientId, sequence) -> stub.append(AppendRequest.newBuilder()
                .setKey(ByteString.copyFrom(key)).setValue(ByteString.copyFrom(value))
                .setClientId(clientId).setSequence(sequence).build()));
    }

    public void append(String key, String value) {
        append(utf8(key), utf8(value));
    }

    /** Deletes {@code key}; returns whether it existed. */
    public boolean delete(byte[] key) {
        return write("delete", (stub, clientId, sequence) -> stub.delete(DeleteRequest.newBuilder()
                .setKey(ByteString.copyFrom(key)).setClientId(clientId).setSequence(sequence).build()))
                == ErrorCode.OK;
    }

    public boolean delete(String key) {
        return delete(utf8(key));
    }

    /** Every configured node's status, asked in parallel, each within the attempt timeout. */
    public List<NodeReport> status() {
        List<ListenableFuture<StatusReply>> calls = new ArrayList<>();
        for (Node node : nodes) {
            calls.add(node.futureStub.withDeadlineAfter(options.attemptTimeout().toNanos(), TimeUnit.NANOSECONDS)
                    .status(StatusRequest.getDefaultInstance()));
        }
        List<NodeReport> reports = new ArrayList<>();
        for (Node node : nodes) {
            try {
                StatusReply reply = calls.get(node.index).get();
                learn(node, reply.getNodeId());
                reports.add(new NodeReport(node.address, reply, null));
            } catch (ExecutionException e) {
                reports.add(new NodeReport(node.address, null, e.getCause() instanceof StatusRuntimeException s
                        ? describe(s) : String.valueOf(e.getCause())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new KvUnavailableException("interrupted while asking for the cluster's status");
            }
        }
        return reports;
    }

    @Override
    public void close() {
        for (Node node : nodes) {
            node.channel.shutdownNow();
        }
        for (Node node : nodes) {
            try {
                node.channel.awaitTermination(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    // ---- the retry loop ----

    /** One node's answer, reduced to what the retry loop needs. */
    private record Reply<R>(ErrorCode code, R value, String message, LeaderHint hint, String nodeId) {}

    private interface Attempt<R> {
        Reply<R> call(KvGrpc.KvBlockingStub stub);
    }

    private interface WriteCall {
        WriteReply call(KvGrpc.KvBlockingStub stub, long clientId, long sequence);
    }

    private ErrorCode write(String what, WriteCall call) {
        Session session = borrowSession();
        long sequence = ++session.lastSequence;
        try {
            return run(what, stub -> {
                WriteReply reply = call.call(stub, session.clientId, sequence);
                return new Reply<>(reply.getCode(), reply.getCode(), reply.getMessage(),
                        hintOf(reply.hasLeader(), reply.getLeader()), reply.getNodeId());
            });
        } finally {
            idleSessions.offerFirst(session);
        }
    }

    private Session borrowSession() {
        Session session = idleSessions.pollFirst();
        if (session != null) {
            return session;
        }
        long clientId;
        do {
            clientId = random.nextLong();
        } while (clientId == 0);
        return new Session(clientId);
    }

    private <R> R run(String what, Attempt<R> attempt) {
        long deadline = System.nanoTime() + options.timeout().toNanos();
        long backoff = options.initialBackoff().toNanos();
        int target = leader;
        int failuresThisRound = 0;
        int hintsFollowed = 0;
        Map<HostPort, String> problems = new LinkedHashMap<>();
        while (true) {
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                throw unavailable(what, problems);
            }
            Node node = nodes.get(target);
            Reply<R> reply;
            try {
                reply = attempt.call(node.stub.withDeadlineAfter(
                        Math.min(options.attemptTimeout().toNanos(), remaining), TimeUnit.NANOSECONDS));
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() == Status.Code.RESOURCE_EXHAUSTED) {
                    throw new KvInvalidArgumentException("the request is too large for the server: "
                            + e.getStatus().getDescription());
                }
                reply = null;
                problems.put(node.address, describe(e));
            }
            if (reply != null) {
                learn(node, reply.nodeId());
                switch (reply.code()) {
                    case OK, NO_KEY -> {
                        leader = target;
                        return reply.value();
                    }
                    case INVALID_ARGUMENT -> throw new KvInvalidArgumentException(reply.message());
                    case NOT_LEADER -> {
                        problems.put(node.address, "not the leader" + describe(reply.hint()));
                        Integer hinted = resolve(reply.hint());
                        if (hinted != null && hintsFollowed < nodes.size()) {
                            hintsFollowed++;
                            if (hinted == target) {
                                // It still leads but lost the entry to a new term: give it a moment.
                                pause(options.initialBackoff().toNanos(), deadline);
                            }
                            target = hinted;
                            continue;
                        }
                    }
                    case TIMEOUT -> problems.put(node.address, "timed out: " + reply.message());
                    default -> problems.put(node.address, "answered " + reply.code());
                }
            }
            target = (target + 1) % nodes.size();
            if (++failuresThisRound >= nodes.size()) {
                // No node could serve in a whole round: an election, a partition or a restart. Wait a little.
                pause(backoff, deadline);
                backoff = Math.min(backoff * 2, options.maxBackoff().toNanos());
                failuresThisRound = 0;
                hintsFollowed = 0;
                for (Node each : nodes) {
                    each.channel.resetConnectBackoff();
                }
            }
        }
    }

    /** Remembers which configured address answers as which node id. */
    private void learn(Node node, String nodeId) {
        if (nodeId != null && !nodeId.isEmpty() && !nodeId.equals(node.id)) {
            node.id = nodeId;
            nodeIndexById.put(nodeId, node.index);
        }
    }

    /** The configured node a hint points at: by node id if learned, else by an address we were given; or null. */
    private Integer resolve(LeaderHint hint) {
        if (hint == null) {
            return null;
        }
        if (!hint.getLeaderId().isEmpty()) {
            Integer byId = nodeIndexById.get(hint.getLeaderId());
            if (byId != null) {
                return byId;
            }
        }
        if (!hint.getLeaderAddress().isEmpty()) {
            try {
                HostPort address = HostPort.parse(hint.getLeaderAddress());
                for (Node node : nodes) {
                    if (node.address.equals(address)) {
                        return node.index;
                    }
                }
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
        return null;
    }

    private void pause(long nanos, long deadline) {
        long jittered = nanos + ThreadLocalRandom.current().nextLong(Math.max(1, nanos / 2));
        long sleep = Math.min(jittered, deadline - System.nanoTime());
        if (sleep <= 0) {
            return;
        }
        try {
            TimeUnit.NANOSECONDS.sleep(sleep);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KvUnavailableException("interrupted while waiting to retry");
        }
    }

    private KvUnavailableException unavailable(String what, Map<HostPort, String> problems) {
        StringBuilder message = new StringBuilder("no leader completed the ").append(what).append(" within ")
                .append(format(options.timeout().toMillis()));
        if (!problems.isEmpty()) {
            message.append(" (");
            String separator = "";
            for (Map.Entry<HostPort, String> problem : problems.entrySet()) {
                message.append(separator).append(problem.getKey()).append(": ").append(problem.getValue());
                separator = "; ";
            }
            message.append(')');
        }
        return new KvUnavailableException(message.toString());
    }

    private static LeaderHint hintOf(boolean present, LeaderHint hint) {
        return present ? hint : null;
    }

    private static String describe(LeaderHint hint) {
        if (hint == null || (hint.getLeaderId().isEmpty() && hint.getLeaderAddress().isEmpty())) {
            return ", leader unknown";
        }
        return ", leader is " + (hint.getLeaderId().isEmpty() ? "?" : hint.getLeaderId())
                + (hint.getLeaderAddress().isEmpty() ? "" : " at " + hint.getLeaderAddress());
    }

    /** A short reason for a failed call, e.g. "unreachable (Connection refused)". */
    static String describe(StatusRuntimeException e) {
        Status status = e.getStatus();
        return switch (status.getCode()) {
            case DEADLINE_EXCEEDED -> "no answer in time";
            case UNAVAILABLE -> {
                Throwable cause = status.getCause();
                while (cause != null && cause.getCause() != null) {
                    cause = cause.getCause();
                }
                String reason = cause != null && cause.getMessage() != null ? cause.getMessage()
                        : status.getDescription();
                yield "unreachable" + (reason == null ? "" : " (" + networkReason(cause, reason) + ")");
            }
            default -> status.getCode() + (status.getDescription() == null ? ""
                    : ": " + firstLine(status.getDescription()));
        };
    }

    /** The gist of a connection failure, without the transport's wording ("finishConnect(..) failed ..."). */
    private static String networkReason(Throwable cause, String message) {
        if (cause instanceof java.net.UnknownHostException || message.contains("Unable to resolve host")) {
            return "unknown host";
        }
        for (String known : new String[] {"Connection refused", "No route to host", "Connection reset",
                "Network is unreachable", "connection timed out"}) {
            if (message.toLowerCase(java.util.Locale.ROOT).contains(known.toLowerCase(java.util.Locale.ROOT))) {
                return known.toLowerCase(java.util.Locale.ROOT);
            }
        }
        return firstLine(message);
    }

    private static String firstLine(String text) {
        int newline = text.indexOf('\n');
        return newline < 0 ? text : text.substring(0, newline);
    }

    private static String format(long millis) {
        return millis % 1000 == 0 ? millis / 1000 + "s" : millis + "ms";
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
