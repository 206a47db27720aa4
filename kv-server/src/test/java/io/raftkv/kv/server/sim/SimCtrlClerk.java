package io.raftkv.kv.server.sim;

import com.google.protobuf.Message;
import io.raftkv.proto.service.ErrorCode;
import io.raftkv.proto.service.LeaderHint;
import io.raftkv.proto.shardctrler.ChangeReply;
import io.raftkv.proto.shardctrler.Config;
import io.raftkv.proto.shardctrler.JoinRequest;
import io.raftkv.proto.shardctrler.LeaveRequest;
import io.raftkv.proto.shardctrler.MoveRequest;
import io.raftkv.proto.shardctrler.QueryReply;
import io.raftkv.proto.shardctrler.QueryRequest;
import io.raftkv.proto.shardctrler.ReplicaGroup;
import io.raftkv.raft.sim.Scheduler;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;

/**
 * A client of the simulated controller, speaking the real ControllerClerk's protocol in virtual time: one client id
 * and increasing sequence numbers (every retry of a change carries the same pair), the leader it last succeeded
 * with, NOT_LEADER hints followed by node id, a per-attempt timeout, and a short pause after a round in which no node
 * could serve. Like the lab's clerk it retries until it gets an answer; the scenario bounds the wait.
 */
final class SimCtrlClerk {
    private static final long ATTEMPT_TIMEOUT = 300 * Scheduler.MILLIS;
    private static final long ROUND_PAUSE = 50 * Scheduler.MILLIS;

    /** One request in flight; {@code reply} is the final answer (OK or INVALID_ARGUMENT) once it came. */
    static final class Call {
        private final Message request;
        private Message reply;
        private final List<Consumer<Message>> listeners = new ArrayList<>();

        Call(Message request) {
            this.request = request;
        }

        /** What was sent (with its client id and sequence, for a retry of the same change). */
        Message request() {
            return request;
        }

        boolean done() {
            return reply != null;
        }

        Message reply() {
            return reply;
        }

        /** Runs {@code listener} with the final answer once it comes (at once if it came). */
        void whenDone(Consumer<Message> listener) {
            if (reply != null) {
                listener.accept(reply);
            } else {
                listeners.add(listener);
            }
        }

        private void finish(Message answer) {
            reply = answer;
            List<Consumer<Message>> waiting = new ArrayList<>(listeners);
            listeners.clear();
            waiting.forEach(listener -> listener.accept(answer));
        }
    }

    private final Scheduler scheduler;
    private final ClientNetwork network;
    private final List<String> servers;
    private final long clientId;
    private long sequence;
    private int leader;

    SimCtrlClerk(Scheduler scheduler, RandomGenerator random, ClientNetwork network, List<String> servers) {
        this.scheduler = scheduler;
        this.network = network;
        this.servers = List.copyOf(servers);
        long id;
        do {
            id = random.nextLong();
        } while (id == 0);
        this.clientId = id;
    }

    Call join(Map<Long, List<String>> groups) {
        JoinRequest.Builder join = JoinRequest.newBuilder().setClientId(clientId).setSequence(++sequence);
        groups.forEach((gid, addresses) -> join.addGroups(ReplicaGroup.newBuilder().setGid(gid)
                .addAllServers(addresses)));
        return start(join.build());
    }

    Call leave(List<Long> gids) {
        return start(LeaveRequest.newBuilder().addAllGids(gids).setClientId(clientId).setSequence(++sequence)
                .build());
    }

    Call move(int shard, long gid) {
        return start(MoveRequest.newBuilder().setShard(shard).setGid(gid).setClientId(clientId)
                .setSequence(++sequence).build());
    }

    Call query(long num) {
        return start(QueryRequest.newBuilder().setNum(num).build());
    }

    /** Sends the same request again as a new call (a client that lost the answer retrying on its own). */
    Call resend(Message request) {
        return start(request);
    }

    private Call start(Message request) {
        Call call = new Call(request);
        new Attempts(request, call).send(leader);
        return call;
    }

    /** The retry loop of one request. */
    private final class Attempts {
        final Message request;
        final Call call;
        int attempt;
        int failuresThisRound;

        Attempts(Message request, Call call) {
            this.request = request;
            this.call = call;
        }

        void send(int target) {
            int thisAttempt = ++attempt;
            network.call(servers.get(target), request, reply -> onReply(thisAttempt, target, reply));
            scheduler.after(ATTEMPT_TIMEOUT, () -> {
                if (thisAttempt == attempt && !call.done()) {
                    next(target);
                }
            });
        }

        void onReply(int replyAttempt, int target, ClientReply reply) {
            if (replyAttempt != attempt || call.done()) {
                return;
            }
            if (reply.isFailure()) {
                next(target);
                return;
            }
            ErrorCode code;
            LeaderHint hint;
            if (reply.message() instanceof QueryReply query) {
                code = query.getCode();
                hint = query.hasLeader() ? query.getLeader() : null;
            } else {
                ChangeReply change = (ChangeReply) reply.message();
                code = change.getCode();
                hint = change.hasLeader() ? change.getLeader() : null;
            }
            if (code == ErrorCode.OK || code == ErrorCode.INVALID_ARGUMENT) {
                leader = target;
                call.finish(reply.message());
                return;
            }
            int hinted = hint == null ? -1 : servers.indexOf(hint.getLeaderId()); // node ids double as addresses
            if (code == ErrorCode.NOT_LEADER && hinted >= 0 && hinted != target) {
                attempt++;
                send(hinted);
                return;
            }
            next(target);
        }

        void next(int target) {
            attempt++;
            int following = (target + 1) % servers.size();
            if (++failuresThisRound >= servers.size()) {
                failuresThisRound = 0;
                scheduler.after(ROUND_PAUSE, () -> send(following));
            } else {
                send(following);
            }
        }
    }

    /** The configuration in a finished Query. */
    static Config config(Call call) {
        return ((QueryReply) call.reply()).getConfig();
    }

    /** The answer to a finished Join, Leave or Move. */
    static ChangeReply change(Call call) {
        return (ChangeReply) call.reply();
    }
}
