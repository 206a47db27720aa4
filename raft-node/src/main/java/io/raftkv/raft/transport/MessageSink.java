package io.raftkv.raft.transport;

import io.raftkv.proto.raft.Message;
import io.raftkv.raft.storage.SnapshotFile;
import java.util.Map;

/**
 * Where a node's outgoing Raft messages go: the peer links of {@link RaftTransport}, or a simulated network. Sending
 * never blocks; what cannot be delivered is dropped, which Raft tolerates.
 */
public interface MessageSink {

    /** Queues a message (not a snapshot) for its receiver; false if it was dropped at once. */
    boolean send(Message message);

    /** Sends {@code message} with the snapshot held in {@code file}; the outcome is reported back later. */
    void sendSnapshot(Message message, SnapshotFile file);

    /** Pushes what was queued onto the wire. */
    void flush();

    /**
     * The group's members are now {@code members} (address by id, this node included): reach the new ones, let go of
     * the removed. Called before any message to a new member is sent.
     */
    void connect(Map<String, String> members);
}
