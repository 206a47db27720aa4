package io.raftkv.raft.core;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Set;

/**
 * The leader's pending ReadIndex requests, in arrival order. Each waits until a quorum has answered a heartbeat sent
 * after it was registered; then it, and every request registered before it, is confirmed: at that moment this node
 * was still the leader, so its commit index at registration is a safe read index.
 */
final class ReadIndexQueue {
    /** A request: its read index, who asked (this node or a follower), and who has confirmed leadership since. */
    record Pending(ByteString context, long index, String from, Set<String> acks) {}

    private final LinkedHashMap<ByteString, Pending> pending = new LinkedHashMap<>();

    /** Registers a request; a context already pending is ignored (contexts must be unique). */
    void add(ByteString context, long index, String from) {
        pending.putIfAbsent(context, new Pending(context, index, from, new HashSet<>()));
    }

    /** Records that {@code id} answered the heartbeat carrying {@code context}; returns how many have, or 0. */
    int ack(String id, ByteString context) {
        Pending p = pending.get(context);
        if (p == null) {
            return 0;
        }
        p.acks.add(id);
        return p.acks.size();
    }

    /** Removes and returns the requests up to and including {@code context}, oldest first. */
    List<Pending> confirmUpTo(ByteString context) {
        if (!pending.containsKey(context)) {
            return List.of();
        }
        List<Pending> out = new ArrayList<>();
        Iterator<Pending> it = pending.values().iterator();
        while (it.hasNext()) {
            Pending p = it.next();
            it.remove();
            out.add(p);
            if (p.context.equals(context)) {
                break;
            }
        }
        return out;
    }

    /** The most recent pending context (a heartbeat carrying it confirms every pending request), or null. */
    ByteString lastContext() {
        ByteString last = null;
        for (ByteString c : pending.keySet()) {
            last = c;
        }
        return last;
    }

    boolean isEmpty() {
        return pending.isEmpty();
    }

    void clear() {
        pending.clear();
    }
}
