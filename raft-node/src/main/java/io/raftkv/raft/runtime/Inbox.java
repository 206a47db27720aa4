package io.raftkv.raft.runtime;

import io.raftkv.proto.raft.Message;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The event loop's input: any thread posts, the loop thread polls and, when there is nothing to do, parks until the
 * next tick or the next post. Lock-free: a poster unparks the loop only if the loop announced it is about to park, and
 * the loop checks the queue again after announcing (so a post is never missed).
 *
 * <p>Peer messages are bounded (count and bytes): when the loop falls behind, further peer messages are dropped, which
 * Raft tolerates. Local requests are bounded by the node's own limits.
 */
final class Inbox {
    private final ConcurrentLinkedQueue<Object> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger peerMessages = new AtomicInteger();
    private final AtomicLong peerBytes = new AtomicLong();
    private final int maxPeerMessages;
    private final long maxPeerBytes;
    private volatile Thread owner;
    private volatile boolean parked;

    Inbox(int maxPeerMessages, long maxPeerBytes) {
        this.maxPeerMessages = maxPeerMessages;
        this.maxPeerBytes = maxPeerBytes;
    }

    void setOwner(Thread thread) {
        this.owner = thread;
    }

    /** Posts a message from a peer; false if it was dropped because the loop is too far behind. */
    boolean postPeerMessage(Message message) {
        int size = message.getSerializedSize();
        if (peerMessages.get() >= maxPeerMessages || peerBytes.get() + size > maxPeerBytes) {
            return false;
        }
        peerMessages.incrementAndGet();
        peerBytes.addAndGet(size);
        post(message);
        return true;
    }

    void post(Object event) {
        queue.offer(event);
        if (parked) {
            Thread t = owner;
            if (t != null) {
                LockSupport.unpark(t);
            }
        }
    }

    Object poll() {
        Object event = queue.poll();
        if (event instanceof Message m) {
            peerMessages.decrementAndGet();
            peerBytes.addAndGet(-m.getSerializedSize());
        }
        return event;
    }

    boolean isEmpty() {
        return queue.isEmpty();
    }

    /** Parks the calling (owner) thread until something is posted or {@code deadlineNanos} passes. */
    void awaitWork(long deadlineNanos) {
        parked = true;
        try {
            while (queue.isEmpty()) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0 || Thread.currentThread().isInterrupted()) {
                    return;
                }
                LockSupport.parkNanos(this, left);
            }
        } finally {
            parked = false;
        }
    }
}
