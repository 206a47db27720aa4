package io.raftkv.raft.api;

import java.io.IOException;
import java.io.OutputStream;

/** A captured, immutable point-in-time state, ready to be written out once or more. */
public interface SnapshotSource extends AutoCloseable {

    /** The last applied index the captured state covers. */
    long index();

    /** Writes the captured state; may be called from any thread, and more than once. */
    void writeTo(OutputStream out) throws IOException;

    /** Releases what the capture holds (checkpoint files, memory). */
    @Override
    void close();
}
