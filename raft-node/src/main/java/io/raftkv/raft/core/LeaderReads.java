package io.raftkv.raft.core;

import com.google.protobuf.ByteString;
import io.raftkv.proto.raft.Message;
import io.raftkv.proto.raft.MessageType;
import java.util.ArrayList;
import java.util.List;

/**
 * Linearizable reads without log writes (ReadIndex, Raft thesis section 6.4), on the leader: a read is registered at
 * the current commit index and confirmed once a quorum answers a heartbeat carrying its context; a leader that has not
 * yet committed an entry of its term holds reads back until it has (before that its commit index may be stale).
 * Confirmed reads become {@link ReadState}s here (for this node's own requests) or responses to the follower that
 * forwarded them. Followers only collect the read states their leader sends back.
 */
final class LeaderReads {
    private final String self;
    private final RaftLog log;
    private final ProgressTracker tracker;
    private final Outbox outbox;
    private final Replication replication;
    private final ReadIndexQueue queue;
    /** Read requests waiting for the first commit of this term. */
    private final List<Message> awaitingTermCommit = new ArrayList<>();
    private final ArrayList<ReadState> readStates = new ArrayList<>();

    LeaderReads(String self, RaftLog log, ProgressTracker tracker, Outbox outbox, Replication replication,
            ReadIndexQueue queue) {
        this.self = self;
        this.log = log;
        this.tracker = tracker;
        this.outbox = outbox;
        this.replication = replication;
        this.queue = queue;
    }

    /**
     * This node's own read: registered here on the leader, forwarded to the leader by a follower. Returns false if it
     * cannot be started (no known leader).
     */
    boolean requestOwn(ByteString context, Role role, String leader, long term) {
        if (role == Role.LEADER) {
            request(Message.newBuilder().setType(MessageType.MSG_READ_INDEX).setFrom(self).setTo(self).setTerm(term)
                    .setContext(context).build(), log.hasCommittedInTerm(term));
            return true;
        }
        if (role != Role.FOLLOWER || leader.isEmpty()) {
            return false;
        }
        outbox.send(MessageType.MSG_READ_INDEX, leader).setContext(context);
        return true;
    }

    /** A read request (this node's own, or forwarded by a follower) reaching the leader. */
    void request(Message m, boolean committedInCurrentTerm) {
        if (tracker.isSingleton()) {
            answer(m.getFrom(), m.getContext(), log.committed());
            return;
        }
        if (!committedInCurrentTerm) {
            awaitingTermCommit.add(m);
            return;
        }
        register(m);
    }

    /** The leader committed an entry of its term: the reads held back can be registered now. */
    void releaseAwaitingTermCommit() {
        if (awaitingTermCommit.isEmpty()) {
            return;
        }
        List<Message> waiting = List.copyOf(awaitingTermCommit);
        awaitingTermCommit.clear();
        for (Message m : waiting) {
            register(m);
        }
    }

    /** A follower answered a heartbeat carrying {@code context}: reads up to it are confirmed by a quorum. */
    void onHeartbeatAck(String from, ByteString context) {
        if (context.isEmpty() || queue.ack(from, context) < tracker.quorum()) {
            return;
        }
        for (ReadIndexQueue.Pending p : queue.confirmUpTo(context)) {
            answer(p.from(), p.context(), p.index());
        }
    }

    /** A follower: the leader confirmed a read this node forwarded. */
    void onResponse(Message m) {
        readStates.add(new ReadState(m.getIndex(), m.getContext()));
    }

    /** The term or role changed: pending reads are abandoned (their requesters retry). */
    void clear() {
        queue.clear();
        awaitingTermCommit.clear();
    }

    List<ReadState> takeReadStates() {
        List<ReadState> out = List.copyOf(readStates);
        readStates.clear();
        return out;
    }

    boolean hasReadStates() {
        return !readStates.isEmpty();
    }

    private void register(Message m) {
        queue.add(m.getContext(), log.committed(), m.getFrom());
        queue.ack(self, m.getContext());
        replication.heartbeatAll(m.getContext());
    }

    private void answer(String requester, ByteString context, long index) {
        if (requester.equals(self)) {
            readStates.add(new ReadState(index, context));
        } else {
            outbox.send(MessageType.MSG_READ_INDEX_RESPONSE, requester).setIndex(index).setContext(context);
        }
    }
}
