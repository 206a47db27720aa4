package io.raftkv.raft.runtime;

import io.raftkv.proto.raft.Entry;
import io.raftkv.proto.raft.SnapshotMetadata;
import java.io.InputStream;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * What the {@link CoreDriver} hands to the state machine's side once a Ready is durable, in log order, and what it
 * asks of it. The {@link Applier} thread takes these in production; every call returns at once.
 */
interface ApplyHandoff {

    /** Committed entries to apply; {@code proposals} is aligned with them (null where none is local), or null. */
    void apply(List<Entry> entries, PendingProposal[] proposals);

    /** Replaces the state with the snapshot whose body {@code body} streams. */
    void restore(SnapshotMetadata metadata, InputStream body);

    /** Completes {@code futures} once the applied index reaches {@code index} (a confirmed read barrier). */
    void releaseAt(long index, List<CompletableFuture<Void>> futures);

    /** Make what is applied durable, then report it, so the log can be compacted up to there. */
    void requestSync();

    /** Capture a snapshot for a follower that needs one, then report its file. */
    void requestCapture();

    /** The last applied index (may lag what was handed over). */
    long applied();
}
