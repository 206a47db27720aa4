package io.raftkv.raft.transport;

import java.time.Duration;

/**
 * Limits of the transport.
 *
 * @param maxQueueBytes bytes of messages waiting for one peer before further messages to it are dropped
 * @param maxQueueMessages messages waiting for one peer before further messages to it are dropped
 * @param maxBatchBytes a batch (one gRPC message on the stream) is closed once it holds this many bytes
 * @param snapshotChunkBytes bytes per InstallSnapshot chunk
 * @param reconnectBackoffMin first wait before reconnecting to a peer whose stream failed (doubles each failure)
 * @param reconnectBackoffMax longest such wait
 * @param snapshotStallTimeout a snapshot transfer that makes no progress for this long is abandoned
 * @param maxInboundMessageBytes largest gRPC message accepted from a peer (client side; the server's limit is set
 *     where the server is built)
 */
public record TransportOptions(
        long maxQueueBytes,
        int maxQueueMessages,
        long maxBatchBytes,
        int snapshotChunkBytes,
        Duration reconnectBackoffMin,
        Duration reconnectBackoffMax,
        Duration snapshotStallTimeout,
        int maxInboundMessageBytes) {

    public TransportOptions {
        if (maxQueueBytes < 1 || maxQueueMessages < 1 || maxBatchBytes < 1) {
            throw new IllegalArgumentException("queue and batch limits must be positive");
        }
        if (snapshotChunkBytes < 1024 || snapshotChunkBytes > 4 << 20) {
            throw new IllegalArgumentException("the snapshot chunk size must be between 1 KiB and 4 MiB, not "
                    + snapshotChunkBytes);
        }
    }

    public static TransportOptions defaults() {
        return new TransportOptions(16L << 20, 4096, 2L << 20, 1 << 20, Duration.ofMillis(50), Duration.ofSeconds(1),
                Duration.ofSeconds(30), 64 << 20);
    }

    public TransportOptions withSnapshotChunkBytes(int bytes) {
        return new TransportOptions(maxQueueBytes, maxQueueMessages, maxBatchBytes, bytes, reconnectBackoffMin,
                reconnectBackoffMax, snapshotStallTimeout, maxInboundMessageBytes);
    }

    public TransportOptions withQueueLimits(long bytes, int messages) {
        return new TransportOptions(bytes, messages, maxBatchBytes, snapshotChunkBytes, reconnectBackoffMin,
                reconnectBackoffMax, snapshotStallTimeout, maxInboundMessageBytes);
    }
}
