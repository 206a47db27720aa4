package io.raftkv.raft.api;

import io.raftkv.proto.raft.Entry;
import io.raftkv.proto.raft.EntryType;
import io.raftkv.raft.core.EntryId;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/**
 * The replicated service a raft node drives (the KV store, or a test counter).
 *
 * <p>Every method is called from the node's single apply thread, in log order: committed commands and snapshots
 * reach the state machine through this one ordered stream, never concurrently. Reads that the service serves itself
 * (after a linearizable read barrier) may run on other threads, so the state must be safe to read concurrently.
 */
public interface StateMachine extends AutoCloseable {

    /**
     * The index of the last command applied (0 for an empty state). After a restart the node replays the log from
     * the entry after this one, so a state machine that keeps this index next to its data in one atomic write
     * replays only the tail.
     */
    long appliedIndex();

    /**
     * Applies committed commands, in log order, atomically with the new applied index. Returns one reply per
     * command, in the same order (an empty array where a command has nothing to say); the proposer of each command
     * receives its reply.
     */
    List<byte[]> apply(List<Command> commands);

    /**
     * Makes everything applied so far survive a machine crash (fsync) and returns the applied index that is now
     * durable. The node truncates its log only up to an index this method returned.
     */
    long sync();

    /**
     * Captures the current state for a snapshot. Called on the apply thread, so it must be quick (a RocksDB
     * checkpoint, a copy of a small map): the returned source is streamed later, from another thread, while applying
     * goes on.
     */
    SnapshotSource captureSnapshot();

    /**
     * Replaces the whole state with a snapshot that covers the log up to {@code index} (of {@code term}); afterwards
     * {@link #appliedIndex()} returns {@code index}. The stream holds exactly what a {@link SnapshotSource} wrote.
     */
    void restoreSnapshot(long index, long term, InputStream data) throws IOException;

    /**
     * A committed command: its place in the log and the bytes the proposer gave. Empty bytes mark an entry Raft
     * appended for itself (a new leader's no-op, a membership change): it changes nothing but the applied index.
     */
    record Command(EntryId id, byte[] data) {
        private static final byte[] RAFT_OWN = new byte[0];

        /** What the state machine is given for a committed entry: a membership change is Raft's own, so empty. */
        public static Command of(Entry entry) {
            return new Command(EntryId.of(entry), entry.getType() == EntryType.ENTRY_CONF_CHANGE ? RAFT_OWN
                    : entry.getData().toByteArray());
        }

        public long index() {
            return id.index();
        }

        public long term() {
            return id.term();
        }
    }
}
