package io.raftkv.kv.client.cli;

import io.raftkv.kv.client.FakeKvNode;

/**
 * Two fake nodes on real gRPC sharing one store: n1 leads, n2 follows it and answers NOT_LEADER with n1's hint. The
 * cluster string lists the follower first, so every client has to follow a hint.
 */
final class TwoNodeFake implements AutoCloseable {
    final FakeKvNode.Store store = new FakeKvNode.Store();
    final FakeKvNode leader = new FakeKvNode("n1", "kv1:7001", FakeKvNode.Mode.LEADER, store);
    final FakeKvNode follower = new FakeKvNode("n2", "kv2:7001", FakeKvNode.Mode.FOLLOWER, store);

    TwoNodeFake() {
        follower.follow("n1", "kv1:7001");
    }

    /** The {@code --cluster} value: the follower, then the leader. */
    String cluster() {
        return follower.address() + "," + leader.address();
    }

    @Override
    public void close() {
        leader.close();
        follower.close();
    }
}
