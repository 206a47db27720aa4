package io.raftkv.raft.api;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Map;

/** A captured, immutable point-in-time state, ready to be written out once or more. */
public interface SnapshotSource extends AutoCloseable {

    /** The last applied index the captured state covers. */
    long index();

    /** What a backup's header says of the captured state besides its index (a shard count, say), by name. */
    default Map<String, String> describe() {
        return Map.of();
    }

    /** Writes the captured state; may be called from any thread, and more than once. */
    void writeTo(OutputStream out) throws IOException;

    /** Releases what the capture holds (checkpoint files, memory). */
    @Override
    void close();
}
