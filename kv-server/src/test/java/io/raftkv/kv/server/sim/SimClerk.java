package io.raftkv.kv.server.sim;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import io.raftkv.common.client.ClientOptions;
import io.raftkv.common.client.LeaderSeekingPolicy;
import io.raftkv.proto.kv.AppendRequest;
import io.raftkv.proto.kv.GetReply;
import io.raftkv.proto.kv.GetRequest;
import io.raftkv.proto.kv.PutRequest;
import io.raftkv.proto.kv.WriteReply;
import io.raftkv.proto.service.ErrorCode;
import io.raftkv.proto.service.LeaderHint;
import io.raftkv.raft.sim.Scheduler;
import io.raftkv.testkit.linearizability.KvModel;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * A client of the simulated cluster that speaks the real Clerk's protocol, as an actor in virtual time: one client id
 * and increasing sequence numbers for its writes (every retry of a write carries the same pair), the leader it last
 * succeeded with, NOT_LEADER hints followed (by node id, among the servers it was given), a per-attempt timeout, a
 * backoff after a round in which no node could serve, and an overall deadline after which the operation's outcome is
 * unknown. Which node comes next, and when, is decided by the real client's {@link LeaderSeekingPolicy}, with the same
 * {@link ClientOptions}, in virtual time.
 *
 * <p>One operation at a time, like one Clerk session. Every operation is recorded in the run's {@link SimHistory}.
 *
 * <p>Against a sharded store a {@link Router} (the controller's configuration) names each key's servers: a
 * WRONG_GROUP answer makes the clerk refresh it and go on, with the same client id and sequence, at the group it
 * names then, as the ShardedClerk does.
 */
final class SimClerk {
    private final int number;
    private final long clientId;
    private final ClientOptions options;
    private final Scheduler scheduler;
    private final RandomGenerator random;
    private final ClientNetwork network;
    private final SimHistory history;
    private final Map<String, String> learnedIds = new HashMap<>();
    /** The last node that answered, per group of servers (its first id). */
    private final Map<String, Integer> leaders = new HashMap<>();
    private List<String> servers;
    private Router router;
    private long lastSequence;
    private Operation current;

    /**
     * @param number this clerk's number in the run: its client in the history and in its appended tokens
     * @param servers the node ids (which are also their addresses) this clerk may talk to
     */
    SimClerk(int number, List<String> servers, ClientOptions options, Scheduler scheduler, RandomGenerator random,
            ClientNetwork network, SimHistory history) {
        this(number, servers, null, options, scheduler, random, network, history);
    }

    /** A clerk of a sharded store: {@code router} names each key's servers. */
    SimClerk(int number, Router router, ClientOptions options, Scheduler scheduler, RandomGenerator random,
            ClientNetwork network, SimHistory history) {
        this(number, List.of(), router, options, scheduler, random, network, history);
    }

    private SimClerk(int number, List<String> servers, Router router, ClientOptions options, Scheduler scheduler,
            RandomGenerator random, ClientNetwork network, SimHistory history) {
        this.number = number;
        this.options = options;
        this.scheduler = scheduler;
        this.random = random;
        this.network = network;
        this.history = history;
        this.servers = List.copyOf(servers);
        this.router = router != null ? router : new Router() {
            @Override
            public List<String> serversFor(String key) {
                return SimClerk.this.servers;
            }

            @Override
            public void refresh(Runnable then) {
                then.run();
            }
        };
        long id;
        do {
            id = random.nextLong();
        } while (id == 0);
        this.clientId = id;
    }

    int number() {
        return number;
    }

    boolean busy() {
        return current != null;
    }

    /**
     * Where a sharded store's keys are served: the servers of the group the clerk's configuration gives the key's
     * shard (empty when none), and a refresh of that configuration.
     */
    interface Router {
        List<String> serversFor(String key);

        /** Asks for the latest configuration; runs {@code then} once answered (or given up on). */
        void refresh(Runnable then);
    }

    /** Replaces the servers this clerk talks to (the lab's ConnectClient); an operation in flight carries on. */
    void connect(List<String> newServers) {
        String leaderId = servers.get(leaderOf(servers));
        String targetId = current == null || current.servers.isEmpty() ? null
                : current.servers.get(current.policy.target());
        servers = List.copyOf(newServers);
        leaders.put(servers.get(0), Math.max(0, servers.indexOf(leaderId)));
        if (current != null) {
            current.servers = servers;
            current.policy.moveTo(servers.size(), Math.max(0, servers.indexOf(targetId)));
        }
    }

    private int leaderOf(List<String> group) {
        return group.isEmpty() ? 0 : Math.min(leaders.getOrDefault(group.get(0), 0), group.size() - 1);
    }

    ClerkCall get(String key) {
        GetRequest request = GetRequest.newBuilder().setKey(utf8(key)).build();
        return start(KvModel.Input.get(key), request);
    }

    ClerkCall put(String key, String value) {
        PutRequest request = PutRequest.newBuilder().setKey(utf8(key)).setValue(utf8(value))
                .setClientId(clientId).setSequence(++lastSequence).build();
        return start(KvModel.Input.put(key, value), request);
    }

    ClerkCall append(String key, String value) {
        AppendRequest request = AppendRequest.newBuilder().setKey(utf8(key)).setValue(utf8(value))
                .setClientId(clientId).setSequence(++lastSequence).build();
        return start(KvModel.Input.append(key, value), request);
    }

    private ClerkCall start(KvModel.Input input, Message request) {
        if (current != null) {
            throw new IllegalStateException("clerk " + number + " already has an operation in flight");
        }
        current = new Operation(input, request, history.invoke(number, input));
        current.send();
        return current.call;
    }

    /** One operation's retry loop: the client's policy, driven by replies and timers. */
    private final class Operation {
        final KvModel.Input input;
        final Message request;
        final long historyCall;
        final ClerkCall call = new ClerkCall();
        final LeaderSeekingPolicy policy;
        List<String> servers;
        int attempt;

        Operation(KvModel.Input input, Message request, long historyCall) {
            this.input = input;
            this.request = request;
            this.historyCall = historyCall;
            this.servers = router.serversFor(input.key());
            this.policy = new LeaderSeekingPolicy(Math.max(1, servers.size()), leaderOf(servers), options,
                    nowNanos(), random);
        }

        void send() {
            long attemptNanos = policy.attemptNanos(nowNanos());
            if (attemptNanos <= 0) {
                finish(Outcome.of(Outcome.Status.UNKNOWN));
                return;
            }
            if (servers.isEmpty()) {
                reroute(); // no group serves the key's shard in the configuration the clerk knows
                return;
            }
            int thisAttempt = ++attempt;
            String server = servers.get(policy.target());
            network.call(server, request, reply -> onReply(thisAttempt, server, reply));
            scheduler.after(micros(attemptNanos), () -> {
                if (thisAttempt == attempt && current == this) {
                    attempt++;
                    follow(policy.failed(false, nowNanos())); // no answer in time
                }
            });
        }

        void onReply(int replyAttempt, String server, ClientReply reply) {
            if (replyAttempt != attempt || current != this) {
                return; // an answer to an attempt the clerk has given up on
            }
            attempt++;
            if (reply.isFailure()) {
                follow(policy.failed(reply.refused(), nowNanos()));
                return;
            }
            ErrorCode code;
            LeaderHint hint;
            String nodeId;
            if (reply.message() instanceof GetReply get) {
                code = get.getCode();
                hint = get.hasLeader() ? get.getLeader() : null;
                nodeId = get.getNodeId();
            } else {
                WriteReply write = (WriteReply) reply.message();
                code = write.getCode();
                hint = write.hasLeader() ? write.getLeader() : null;
                nodeId = write.getNodeId();
            }
            if (!nodeId.isEmpty()) {
                learnedIds.put(nodeId, server);
            }
            switch (code) {
                case OK, NO_KEY -> {
                    leaders.put(servers.get(0), policy.target());
                    finish(outcomeOf(reply.message(), code));
                }
                case INVALID_ARGUMENT -> finish(Outcome.of(Outcome.Status.REJECTED));
                case WRONG_GROUP -> {
                    leaders.put(servers.get(0), policy.target());
                    reroute();
                }
                case NOT_LEADER -> follow(policy.notLeader(resolve(hint, servers), nowNanos()));
                // TIMEOUT, or an answer this client does not understand: the policy moves on.
                default -> follow(policy.couldNotServe(nowNanos()));
            }
        }

        /**
         * Carries out the policy's decision. After a round in which no node could serve (an election, a partition or
         * a restart, or, sharded, the group is gone) the clerk also asks for the latest configuration while it waits.
         */
        void follow(LeaderSeekingPolicy.Next next) {
            switch (next) {
                case LeaderSeekingPolicy.Next.GiveUp g -> finish(Outcome.of(Outcome.Status.UNKNOWN));
                case LeaderSeekingPolicy.Next.Attempt a when a.newRound() -> pause(a.pauseNanos(),
                        () -> router.refresh(() -> {
                            if (current != this) {
                                return;
                            }
                            List<String> latest = router.serversFor(input.key());
                            if (!latest.equals(servers)) {
                                servers = latest;
                                policy.moveTo(Math.max(1, servers.size()), leaderOf(servers));
                            }
                            send();
                        }));
                case LeaderSeekingPolicy.Next.Attempt a -> pause(a.pauseNanos(), this::send);
            }
        }

        /** Waits the next backoff, asks for the latest configuration, and goes on at the group it names for the key. */
        void reroute() {
            pause(policy.backoffPause(nowNanos()), () -> router.refresh(() -> {
                if (current != this) {
                    return;
                }
                servers = router.serversFor(input.key());
                policy.moveTo(Math.max(1, servers.size()), leaderOf(servers));
                send();
            }));
        }

        void pause(long nanos, Runnable then) {
            if (nanos <= 0) {
                then.run();
            } else {
                scheduler.after(micros(nanos), then);
            }
        }

        void finish(Outcome outcome) {
            current = null;
            switch (outcome.status()) {
                case OK -> history.ok(historyCall, input.op() == KvModel.Op.GET
                        ? KvModel.Output.value(outcome.value()) : KvModel.Output.ok());
                case NOT_FOUND -> history.ok(historyCall, KvModel.Output.notFound());
                case UNKNOWN -> history.unknown(historyCall);
                case REJECTED -> history.failed(historyCall);
            }
            call.complete(outcome);
        }
    }

    /** The server a hint points at: by the node id learned from replies, else by a configured address; or -1. */
    private int resolve(LeaderHint hint, List<String> servers) {
        if (hint == null) {
            return -1;
        }
        String server = learnedIds.get(hint.getLeaderId());
        if (server == null && !hint.getLeaderAddress().isEmpty()) {
            server = hint.getLeaderAddress();
        }
        return server == null ? -1 : servers.indexOf(server);
    }

    private static Outcome outcomeOf(Message reply, ErrorCode code) {
        if (reply instanceof GetReply get) {
            return code == ErrorCode.OK ? Outcome.ok(get.getValue().toStringUtf8())
                    : Outcome.of(Outcome.Status.NOT_FOUND);
        }
        return Outcome.ok(null);
    }

    private long nowNanos() {
        return scheduler.now() * 1_000;
    }

    /** Virtual time is in microseconds; a positive wait stays positive. */
    private static long micros(long nanos) {
        return Math.max(1, nanos / 1_000);
    }

    private static ByteString utf8(String text) {
        return ByteString.copyFrom(text, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "clerk " + number + " (client " + Long.toUnsignedString(clientId) + ", servers " + servers
                + (current == null ? "" : ", running " + current.input) + ")";
    }
}
