package io.raftkv.raft.service;

import io.grpc.stub.StreamObserver;
import io.raftkv.common.cli.HostPort;
import io.raftkv.proto.members.Member;
import io.raftkv.proto.members.MemberChangeReply;
import io.raftkv.proto.members.MemberChangeRequest;
import io.raftkv.proto.members.MemberListReply;
import io.raftkv.proto.members.MemberListRequest;
import io.raftkv.proto.members.MembersGrpc;
import io.raftkv.proto.members.MoveLeaderReply;
import io.raftkv.proto.members.MoveLeaderRequest;
import io.raftkv.proto.service.ErrorCode;
import io.raftkv.proto.service.LeaderHint;
import io.raftkv.raft.api.MembershipChangeRefusedException;
import io.raftkv.raft.api.NotLeaderException;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.RaftStatus;
import io.raftkv.raft.core.Role;
import io.raftkv.raft.runtime.RaftNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * The {@code Members} API of a replica process: lists and changes the membership of each group it runs a replica of,
 * and moves leadership. Only the leader answers; a follower answers NOT_LEADER with the leader it knows.
 */
final class MemberService extends MembersGrpc.MembersImplBase {
    /** How long a change may take to commit, and a leader to move, before the reply says TIMEOUT. */
    private static final long TIMEOUT_SECONDS = 10;

    private static final ReplyForm<MemberListReply.Builder, MemberListReply> LIST = new ReplyForm<>(
            MemberListReply::newBuilder, MemberListReply.Builder::setCode, MemberListReply.Builder::setMessage,
            MemberListReply.Builder::setLeader, MemberListReply.Builder::setNodeId, MemberListReply.Builder::getCode,
            MemberListReply.Builder::build);
    private static final ReplyForm<MemberChangeReply.Builder, MemberChangeReply> CHANGE = new ReplyForm<>(
            MemberChangeReply::newBuilder, MemberChangeReply.Builder::setCode, MemberChangeReply.Builder::setMessage,
            MemberChangeReply.Builder::setLeader, MemberChangeReply.Builder::setNodeId,
            MemberChangeReply.Builder::getCode, MemberChangeReply.Builder::build);
    private static final ReplyForm<MoveLeaderReply.Builder, MoveLeaderReply> MOVE = new ReplyForm<>(
            MoveLeaderReply::newBuilder, MoveLeaderReply.Builder::setCode, MoveLeaderReply.Builder::setMessage,
            MoveLeaderReply.Builder::setLeader, MoveLeaderReply.Builder::setNodeId, MoveLeaderReply.Builder::getCode,
            MoveLeaderReply.Builder::build);

    private final ProcessNodes nodes;

    /** @param nodes the process's nodes, one per group (read when a request arrives: the list fills before serving) */
    MemberService(ProcessNodes nodes) {
        this.nodes = nodes;
    }

    /** A reply's common fields, as one record the three replies are filled from. */
    private record Outcome(ErrorCode code, String message, LeaderHint leader) {
        static Outcome ok() {
            return new Outcome(ErrorCode.OK, "", null);
        }

        static Outcome of(Throwable error) {
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause()
                    : error;
            return switch (cause) {
                case NotLeaderException n -> new Outcome(ErrorCode.NOT_LEADER, n.getMessage(), LeaderHint.newBuilder()
                        .setLeaderId(n.leaderId()).setLeaderAddress(n.leaderAddress()).build());
                case MembershipChangeRefusedException r -> new Outcome(ErrorCode.REFUSED, r.getMessage(), null);
                case IllegalArgumentException a -> new Outcome(ErrorCode.INVALID_ARGUMENT, a.getMessage(), null);
                case TimeoutException t -> new Outcome(ErrorCode.TIMEOUT, "not done within " + TIMEOUT_SECONDS
                        + " s", null);
                default -> new Outcome(ErrorCode.TIMEOUT, String.valueOf(cause.getMessage()), null);
            };
        }
    }

    private static Outcome noGroup(String group) {
        return new Outcome(ErrorCode.INVALID_ARGUMENT, ProcessNodes.noGroup(group), null);
    }

    private static Outcome notLeader(RaftNode node) {
        var status = node.status();
        return new Outcome(ErrorCode.NOT_LEADER, "not the leader", LeaderHint.newBuilder()
                .setLeaderId(status.leaderId()).setLeaderAddress(status.leaderAddress()).build());
    }

    @Override
    public void list(MemberListRequest request, StreamObserver<MemberListReply> out) {
        RaftNode node = nodes.find(request.getGroup());
        if (node == null) {
            send(out, reply(LIST, null, noGroup(request.getGroup()), b -> { }));
            return;
        }
        node.raftStatus().orTimeout(TIMEOUT_SECONDS, TimeUnit.SECONDS).whenComplete((status, error) -> {
            Outcome outcome = error != null ? Outcome.of(error)
                    : status.role() != Role.LEADER ? notLeader(node) : Outcome.ok();
            send(out, reply(LIST, node, outcome, b -> {
                if (outcome.code() == ErrorCode.OK) {
                    b.addAllMembers(members(node.configuration(), status));
                }
            }));
        });
    }

    /** The members with their addresses and, from the leader's status, who leads and how far each lags. */
    static List<Member> members(Membership membership, RaftStatus status) {
        List<Member> members = new ArrayList<>();
        Map<String, RaftStatus.FollowerProgress> progress = status == null ? Map.of() : status.followers();
        for (String id : membership.members()) {
            RaftStatus.FollowerProgress p = progress.get(id);
            boolean leader = status != null && id.equals(status.id()) && status.role() == Role.LEADER;
            long lag = leader || p == null ? 0 : Math.max(0, status.lastIndex() - p.match());
            members.add(Member.newBuilder().setId(id).setAddress(membership.addresses().getOrDefault(id, ""))
                    .setLearner(!membership.isVoter(id)).setLeader(leader).setLag(lag).build());
        }
        return members;
    }

    @Override
    public void change(MemberChangeRequest request, StreamObserver<MemberChangeReply> out) {
        RaftNode node = nodes.find(request.getGroup());
        if (node == null) {
            send(out, reply(CHANGE, null, noGroup(request.getGroup()), b -> { }));
            return;
        }
        CompletableFuture<Membership> change;
        try {
            change = switch (request.getOp()) {
                case ADD_LEARNER -> node.addLearner(request.getNode(), HostPort.parse(request.getAddress()));
                case PROMOTE -> node.promote(request.getNode());
                case REMOVE -> node.remove(request.getNode());
                default -> CompletableFuture.failedFuture(new IllegalArgumentException("unknown change "
                        + request.getOp()));
            };
        } catch (IllegalArgumentException e) {
            change = CompletableFuture.failedFuture(e);
        }
        change.orTimeout(TIMEOUT_SECONDS, TimeUnit.SECONDS).whenComplete((membership, error) -> {
            send(out, reply(CHANGE, node, error == null ? Outcome.ok() : Outcome.of(error), b -> {
                if (error == null) {
                    b.addAllMembers(members(membership, null));
                }
            }));
        });
    }

    @Override
    public void moveLeader(MoveLeaderRequest request, StreamObserver<MoveLeaderReply> out) {
        RaftNode node = nodes.find(request.getGroup());
        if (node == null) {
            send(out, reply(MOVE, null, noGroup(request.getGroup()), b -> { }));
            return;
        }
        if (node.status().role() != Role.LEADER) {
            send(out, reply(MOVE, node, notLeader(node), b -> { }));
            return;
        }
        node.transferLeadership(request.getTarget()).orTimeout(TIMEOUT_SECONDS, TimeUnit.SECONDS)
                .whenComplete((ignored, error) -> {
                    send(out, reply(MOVE, node, error == null ? Outcome.ok() : Outcome.of(error), b -> { }));
                });
    }

    private static <R> void send(StreamObserver<R> out, R reply) {
        out.onNext(reply);
        out.onCompleted();
    }

    /** The reply of {@code form} with {@code outcome}'s fields, the answering node's id, and {@code rest}. */
    private static <B, R> R reply(ReplyForm<B, R> form, RaftNode node, Outcome outcome, Consumer<B> rest) {
        B b = form.newBuilder().get();
        form.code().accept(b, outcome.code());
        form.message().accept(b, outcome.message());
        if (outcome.leader() != null) {
            form.leader().accept(b, outcome.leader());
        }
        if (node != null) {
            form.nodeId().accept(b, node.id());
        }
        rest.accept(b);
        return form.build().apply(b);
    }
}
