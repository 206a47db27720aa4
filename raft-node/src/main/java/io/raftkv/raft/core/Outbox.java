package io.raftkv.raft.core;

import io.raftkv.proto.raft.Message;
import io.raftkv.proto.raft.MessageType;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * The messages a node has queued since its last Ready, each stamped with its id and its current term (which
 * {@link Raft} keeps up to date here). Builders stay open until the Ready is built, so a snapshot message can still be
 * pointed at the snapshot available then.
 */
final class Outbox {
    private final String self;
    private final ArrayList<Message.Builder> queued = new ArrayList<>();
    private long term;

    Outbox(String self, long term) {
        this.self = self;
        this.term = term;
    }

    /** The term stamped on messages from now on. */
    void term(long newTerm) {
        this.term = newTerm;
    }

    /** Queues a message of the current term; the caller fills in the rest on the returned builder. */
    Message.Builder send(MessageType type, String to) {
        Message.Builder b = Message.newBuilder().setType(type).setFrom(self).setTo(to).setTerm(term);
        queued.add(b);
        return b;
    }

    boolean isEmpty() {
        return queued.isEmpty();
    }

    /** Everything queued that {@code keep} accepts, built; the queue is then empty. */
    List<Message> take(Predicate<Message.Builder> keep) {
        List<Message> out = new ArrayList<>(queued.size());
        for (Message.Builder b : queued) {
            if (keep.test(b)) {
                out.add(b.build());
            }
        }
        queued.clear();
        return out;
    }
}
