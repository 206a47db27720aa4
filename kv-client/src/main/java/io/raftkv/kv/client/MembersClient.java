package io.raftkv.kv.client;

import io.raftkv.common.cli.HostPort;
import io.raftkv.common.client.Answer;
import io.raftkv.common.client.ClientOptions;
import io.raftkv.common.client.LeaderSeekingClient;
import io.raftkv.common.client.SessionPool;
import io.raftkv.proto.members.Member;
import io.raftkv.proto.members.MemberChangeRequest;
import io.raftkv.proto.members.MemberListRequest;
import io.raftkv.proto.members.MembersGrpc;
import io.raftkv.proto.members.MoveLeaderRequest;
import io.raftkv.proto.service.ErrorCode;
import java.util.List;

/**
 * Reads and changes the membership of a Raft group (the KV cluster, a shard group or the shard controller) through its
 * nodes' Members API, on whichever node leads. A change the leader refuses (one in flight, a learner behind) fails
 * with {@link KvInvalidArgumentException} saying why.
 */
public final class MembersClient implements AutoCloseable {
    private final LeaderSeekingClient<MembersGrpc.MembersBlockingStub> client;

    public MembersClient(List<HostPort> nodes, ClientOptions options) {
        this.client = new LeaderSeekingClient<>(nodes, MembersGrpc::newBlockingStub, options, new SessionPool());
    }

    /** The members, as the leader knows them: address, voter or learner, and how far each one's log lags. */
    public List<Member> list() {
        return Clerk.translated(() -> client.call("member list", stub -> {
            var reply = stub.list(MemberListRequest.getDefaultInstance());
            return Answer.of(reply.getCode(), checked(reply.getCode(), reply.getMessage(), reply.getMembersList()),
                    reply.getMessage(), reply.hasLeader(), reply.getLeader(), reply.getNodeId());
        }));
    }

    /** Adds {@code id}, listening at {@code address}, as a learner; returns the membership once that commits. */
    public List<Member> addLearner(String id, HostPort address) {
        return change(MemberChangeRequest.newBuilder().setOp(MemberChangeRequest.Op.ADD_LEARNER).setNode(id)
                .setAddress(address.target()).build());
    }

    public List<Member> promote(String id) {
        return change(MemberChangeRequest.newBuilder().setOp(MemberChangeRequest.Op.PROMOTE).setNode(id).build());
    }

    public List<Member> remove(String id) {
        return change(MemberChangeRequest.newBuilder().setOp(MemberChangeRequest.Op.REMOVE).setNode(id).build());
    }

    private List<Member> change(MemberChangeRequest request) {
        return Clerk.translated(() -> client.call("member " + request.getOp().name().toLowerCase(), stub -> {
            var reply = stub.change(request);
            return Answer.of(reply.getCode(), checked(reply.getCode(), reply.getMessage(), reply.getMembersList()),
                    reply.getMessage(), reply.hasLeader(), reply.getLeader(), reply.getNodeId());
        }));
    }

    /** Hands leadership to voter {@code id}; returns once it leads. */
    public void moveLeader(String id) {
        Clerk.translated(() -> client.call("move-leader", stub -> {
            var reply = stub.moveLeader(MoveLeaderRequest.newBuilder().setTarget(id).build());
            return Answer.of(reply.getCode(), checked(reply.getCode(), reply.getMessage(), id), reply.getMessage(),
                    reply.hasLeader(), reply.getLeader(), reply.getNodeId());
        }));
    }

    /** {@code value} when the leader did it; a refusal as the exception a rejected request gets. */
    private static <R> R checked(ErrorCode code, String message, R value) {
        if (code == ErrorCode.REFUSED) {
            throw new KvInvalidArgumentException("refused: " + message);
        }
        return value;
    }

    @Override
    public void close() {
        client.close();
    }
}
