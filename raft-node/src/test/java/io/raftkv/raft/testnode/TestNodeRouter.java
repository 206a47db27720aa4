package io.raftkv.raft.testnode;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.raftkv.raft.testnode.proto.AppliedReply;
import io.raftkv.raft.testnode.proto.AppliedRequest;
import io.raftkv.raft.testnode.proto.BenchReply;
import io.raftkv.raft.testnode.proto.BenchRequest;
import io.raftkv.raft.testnode.proto.ProposeReply;
import io.raftkv.raft.testnode.proto.ProposeRequest;
import io.raftkv.raft.testnode.proto.ReadBarrierReply;
import io.raftkv.raft.testnode.proto.ReadBarrierRequest;
import io.raftkv.raft.testnode.proto.StatusReply;
import io.raftkv.raft.testnode.proto.StatusRequest;
import io.raftkv.raft.testnode.proto.TestNodeGrpc;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The test node's control API for a process with several groups: each request goes to the replica of the group it
 * names (an empty name means the first group), and a request for a group the process does not run fails NOT_FOUND.
 */
final class TestNodeRouter extends TestNodeGrpc.TestNodeImplBase {
    private final Map<String, TestNodeService> replicas;
    private final String first;

    TestNodeRouter(Map<String, TestNodeService> replicas) {
        this.replicas = new LinkedHashMap<>(replicas);
        this.first = replicas.keySet().iterator().next();
    }

    private TestNodeService replica(String group, StreamObserver<?> out) {
        TestNodeService replica = replicas.get(group.isEmpty() ? first : group);
        if (replica == null) {
            out.onError(Status.NOT_FOUND.withDescription("no group " + group + " here; groups: "
                    + replicas.keySet()).asRuntimeException());
        }
        return replica;
    }

    @Override
    public void propose(ProposeRequest request, StreamObserver<ProposeReply> out) {
        TestNodeService replica = replica(request.getGroup(), out);
        if (replica != null) {
            replica.propose(request, out);
        }
    }

    @Override
    public void applied(AppliedRequest request, StreamObserver<AppliedReply> out) {
        TestNodeService replica = replica(request.getGroup(), out);
        if (replica != null) {
            replica.applied(request, out);
        }
    }

    @Override
    public void status(StatusRequest request, StreamObserver<StatusReply> out) {
        TestNodeService replica = replica(request.getGroup(), out);
        if (replica != null) {
            replica.status(request, out);
        }
    }

    @Override
    public void bench(BenchRequest request, StreamObserver<BenchReply> out) {
        TestNodeService replica = replica(request.getGroup(), out);
        if (replica != null) {
            replica.bench(request, out);
        }
    }

    @Override
    public void readBarrier(ReadBarrierRequest request, StreamObserver<ReadBarrierReply> out) {
        TestNodeService replica = replica(request.getGroup(), out);
        if (replica != null) {
            replica.readBarrier(request, out);
        }
    }
}
