package io.raftkv.raft.transport;

import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.raftkv.proto.raft.Message;
import io.raftkv.proto.raft.MessageBatch;
import io.raftkv.proto.raft.RaftTransportGrpc;
import io.raftkv.proto.raft.SendSummary;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The outbound half of one group's link to one peer: a bounded queue of messages and one long-lived Send stream that
 * drains it in batches, each naming the group. The channel (one HTTP/2 connection) is shared with the other groups
 * that talk to the same address; each group has its own stream on it.
 *
 * <p>Whoever has work ({@link #flush} on the node's event loop, or the stream's ready callback on a gRPC thread)
 * drains; a work-in-progress counter makes sure only one thread writes to the stream at a time and that no request to
 * drain is lost, without locks. The stream is written only while gRPC says it is ready (its flow-control window is
 * open), so a slow peer backs messages up into the queue, which is bounded in bytes and in count: beyond that,
 * messages are dropped and the node is told the peer is unreachable (Raft retransmits what matters). A failed stream
 * drops what is queued and is reopened after a backoff that doubles up to a maximum; nothing here ever blocks.
 */
final class PeerLink {
    private static final Logger LOG = LoggerFactory.getLogger(PeerLink.class);

    private final String group;
    private final String peer;
    private final ManagedChannel channel;
    private final RaftTransportGrpc.RaftTransportStub stub;
    private final TransportOptions options;
    private final Consumer<String> onUnreachable;
    private final ClusterIdentity cluster;

    private final ConcurrentLinkedQueue<Message> queue = new ConcurrentLinkedQueue<>();
    private final AtomicLong queuedBytes = new AtomicLong();
    private final AtomicInteger queuedCount = new AtomicInteger();
    private final AtomicInteger wip = new AtomicInteger();

    private volatile Stream current;
    private volatile long nextAttemptNanos;
    private volatile long backoffNanos;
    private volatile long lastUnreachableReportNanos;
    private volatile boolean closed;

    private final Counter bytesSent;
    private final Counter messagesSent;
    private final Counter dropped;

    PeerLink(String group, ClusterIdentity cluster, String peer, ManagedChannel channel, TransportOptions options,
            Consumer<String> onUnreachable, MeterRegistry registry) {
        this.group = group;
        this.cluster = cluster;
        this.peer = peer;
        this.channel = channel;
        this.stub = RaftTransportGrpc.newStub(channel);
        this.options = options;
        this.onUnreachable = onUnreachable;
        this.backoffNanos = options.reconnectBackoffMin().toNanos();
        this.bytesSent = Counter.builder("raft.transport.sent.bytes").tag("peer", peer)
                .description("Bytes of Raft messages sent to a peer").register(registry);
        this.messagesSent = Counter.builder("raft.transport.sent.messages").tag("peer", peer)
                .description("Raft messages sent to a peer").register(registry);
        this.dropped = Counter.builder("raft.transport.dropped").tag("peer", peer)
                .description("Messages to a peer dropped (queue full, or peer unreachable)").register(registry);
        Gauge.builder("raft.transport.queue.bytes", queuedBytes, AtomicLong::get).tag("peer", peer)
                .description("Bytes of messages waiting to be sent to a peer").register(registry);
    }

    ManagedChannel channel() {
        return channel;
    }

    long queuedBytes() {
        return queuedBytes.get();
    }

    long droppedCount() {
        return (long) dropped.count();
    }

    /**
     * Queues a message; returns false (and drops it) if the queue is full or the peer is known to be unreachable
     * right now. Call {@link #flush} once the messages of a batch are queued.
     */
    boolean enqueue(Message message) {
        if (closed) {
            return false;
        }
        Stream s = current;
        if ((s == null || s.broken) && System.nanoTime() < nextAttemptNanos) {
            dropped.increment();
            return false; // backing off: nothing would get through
        }
        int size = message.getSerializedSize();
        if (queuedCount.get() >= options.maxQueueMessages()
                || queuedBytes.get() + size > options.maxQueueBytes()) {
            dropped.increment();
            return false;
        }
        queuedBytes.addAndGet(size);
        queuedCount.incrementAndGet();
        queue.offer(message);
        return true;
    }

    /** Pushes queued messages onto the stream, as far as its flow control allows. Never blocks. */
    void flush() {
        if (wip.getAndIncrement() != 0) {
            return; // another thread is draining and will look again
        }
        int missed = 1;
        do {
            try {
                drainOnce();
            } catch (RuntimeException e) {
                LOG.warn("{}: sending to {} failed: {}", group, peer, e.toString());
            }
            missed = wip.addAndGet(-missed);
        } while (missed != 0);
    }

    private void drainOnce() {
        if (queue.isEmpty()) {
            return;
        }
        Stream s = stream();
        if (s == null) {
            dropQueued();
            return;
        }
        while (s.call.isReady() && !s.broken) {
            MessageBatch batch = nextBatch();
            if (batch == null) {
                return;
            }
            try {
                s.call.onNext(batch);
            } catch (RuntimeException e) {
                // The call ended between our check and the write (a race with its failure callback).
                s.broken = true;
                return;
            }
            bytesSent.increment(batch.getSerializedSize());
            messagesSent.increment(batch.getMessagesCount());
        }
    }

    private MessageBatch nextBatch() {
        MessageBatch.Builder batch = null;
        long bytes = 0;
        Message m;
        while (bytes < options.maxBatchBytes() && (m = queue.poll()) != null) {
            int size = m.getSerializedSize();
            queuedBytes.addAndGet(-size);
            queuedCount.decrementAndGet();
            if (batch == null) {
                batch = MessageBatch.newBuilder().setGroup(group).setClusterId(cluster.id());
            }
            batch.addMessages(m);
            bytes += size;
        }
        return batch == null ? null : batch.build();
    }

    /** The open stream, opening one if none is and the backoff allows; null while backing off. */
    private Stream stream() {
        Stream s = current;
        if (s != null && !s.broken) {
            return s;
        }
        if (closed || System.nanoTime() < nextAttemptNanos) {
            return null;
        }
        channel.resetConnectBackoff(); // our own backoff governs retries, not the channel's (which grows to 2 min)
        Stream fresh = new Stream();
        stub.send(fresh);
        current = fresh;
        return fresh;
    }

    private void dropQueued() {
        int n = 0;
        Message m;
        while ((m = queue.poll()) != null) {
            queuedBytes.addAndGet(-m.getSerializedSize());
            queuedCount.decrementAndGet();
            n++;
        }
        if (n > 0) {
            dropped.increment(n);
            reportUnreachable();
        }
    }

    private void reportUnreachable() {
        long now = System.nanoTime();
        // At most one report per backoff period: the node only needs to know that messages are being lost.
        if (now - lastUnreachableReportNanos >= options.reconnectBackoffMin().toNanos()) {
            lastUnreachableReportNanos = now;
            onUnreachable.accept(peer);
        }
    }

    private void onReady(Stream s) {
        if (s.call.isReady()) {
            backoffNanos = options.reconnectBackoffMin().toNanos(); // connected: start over with short waits
        }
        flush();
    }

    private void onBroken(Stream s, Throwable error) {
        if (s.broken && s.reported) {
            return;
        }
        s.broken = true;
        s.reported = true;
        if (closed) {
            return;
        }
        long backoff = backoffNanos;
        nextAttemptNanos = System.nanoTime() + backoff;
        backoffNanos = Math.min(backoff * 2, options.reconnectBackoffMax().toNanos());
        if (error != null) {
            LOG.debug("{}: stream to {} failed: {}", group, peer, error.toString());
        }
        reportUnreachable();
        flush(); // drops what is queued
    }

    void close() {
        closed = true;
        Stream s = current;
        if (s != null && !s.broken) {
            s.broken = true;
            try {
                s.call.onCompleted();
            } catch (RuntimeException e) {
                // already gone
            }
        }
        queue.clear();
        queuedBytes.set(0);
        queuedCount.set(0);
    }

    /** One Send call: the request side we write to, and the callbacks of its lifecycle. */
    private final class Stream implements ClientResponseObserver<MessageBatch, SendSummary> {
        volatile ClientCallStreamObserver<MessageBatch> call;
        volatile boolean broken;
        volatile boolean reported;

        @Override
        public void beforeStart(ClientCallStreamObserver<MessageBatch> requestStream) {
            this.call = requestStream;
            requestStream.setOnReadyHandler(() -> onReady(this));
        }

        @Override
        public void onNext(SendSummary value) {
            // the peer closed the stream; onCompleted follows
        }

        @Override
        public void onError(Throwable t) {
            onBroken(this, t);
        }

        @Override
        public void onCompleted() {
            onBroken(this, null);
        }
    }
}
