package io.raftkv.raft.transport;

import io.raftkv.proto.raft.Message;
import io.raftkv.raft.storage.SnapshotFile;

/**
 * What the transport tells its node. Called from transport threads (gRPC and sender threads): implementations hand
 * the event to the node's event loop and return at once.
 */
public interface TransportListener {

    /** A message from a peer, addressed to this node. */
    void onMessage(Message message);

    /**
     * A snapshot arrived whole: {@code file} passed its checksum, matches {@code message}'s metadata and is durable.
     * The listener owns the file from now on (it deletes it if the node does not use it).
     */
    void onSnapshot(Message message, SnapshotFile file);

    /** Messages to {@code peer} could not be delivered (it is down, unreachable, or too slow to keep up). */
    void onUnreachable(String peer);

    /** A snapshot transfer to {@code peer} ended: the receiver accepted the file, or the transfer failed. */
    void onSnapshotSent(String peer, boolean success);
}
