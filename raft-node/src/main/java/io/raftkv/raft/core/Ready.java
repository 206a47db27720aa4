package io.raftkv.raft.core;

import io.raftkv.proto.raft.Entry;
import io.raftkv.proto.raft.HardState;
import io.raftkv.proto.raft.Message;
import io.raftkv.proto.raft.SnapshotMetadata;
import java.util.List;

/**
 * A batch of work the core hands to the runtime: state to persist, a snapshot to install, entries to apply, messages
 * to send and reads that became safe. Handle it in this order, then call {@link RawNode#advance(Ready)}:
 *
 * <ol>
 *   <li>Send {@link #messages()}. None of them depends on anything in this Ready being durable, so they may go out
 *       before, during or after the write of step 2 (a leader thus replicates in parallel with its own disk write).
 *   <li>Persist, in one atomic write: the {@link #snapshot()} if present (its metadata replaces the whole log; keep
 *       the snapshot bytes that came with it too, or install them into a durable state machine first: after a
 *       restart the state machine must have applied at least up to the snapshot's index), the {@link #entries()}
 *       (replacing any stored entries from the first one's index on) and the {@link #hardState()} if present. If
 *       {@link #mustSync()} is true the write must be durable (fsync) before step 3; a commit-only change of the
 *       hard state may be written lazily.
 *   <li>Send {@link #messagesAfterPersist()}: votes and append acknowledgements (each promises the peer that the
 *       write of step 2 survives a crash), and every message of a Ready whose term or vote changed.
 *   <li>If {@link #snapshot()} is present, replace the state machine with the snapshot bytes that arrived with the
 *       MSG_SNAPSHOT message of the same index and term. Then apply {@link #committedEntries()} in order. A Ready
 *       with a snapshot carries no committed entries, so the snapshot always comes first in the apply stream.
 *   <li>Serve {@link #readStates()} once the applied index reaches each one's index.
 * </ol>
 *
 * <p>Committed entries may include entries of this same Ready's {@link #entries()}: never apply them before step 2
 * made them durable. Entries with empty data are the no-ops new leaders append: apply them as nothing (so the applied
 * index stays exact).
 *
 * <p>Why sending a leader's appends before its own write is safe: the leader counts its own log towards the commit
 * index only up to what {@link RawNode#advance} has reported persisted, and followers acknowledge only after their own
 * write. An entry therefore commits only once a majority holds it durably, whichever write finishes first (the
 * argument of section 10.2.1 of the Raft dissertation). A crash of the leader before its write loses nothing that was
 * committed.
 */
public final class Ready {
    private final SoftState softState;
    private final HardState hardState;
    private final List<Entry> entries;
    private final SnapshotMetadata snapshot;
    private final List<Entry> committedEntries;
    private final List<Message> messages;
    private final List<Message> messagesAfterPersist;
    private final List<ReadState> readStates;
    private final boolean mustSync;

    Ready(SoftState softState, HardState hardState, List<Entry> entries, SnapshotMetadata snapshot,
            List<Entry> committedEntries, List<Message> messages, List<Message> messagesAfterPersist,
            List<ReadState> readStates, boolean mustSync) {
        this.softState = softState;
        this.hardState = hardState;
        this.entries = entries;
        this.snapshot = snapshot;
        this.committedEntries = committedEntries;
        this.messages = messages;
        this.messagesAfterPersist = messagesAfterPersist;
        this.readStates = readStates;
        this.mustSync = mustSync;
    }

    /** The new role and leader, or null if unchanged since the previous Ready. */
    public SoftState softState() {
        return softState;
    }

    /** The hard state to persist, or null if unchanged since the previous Ready. */
    public HardState hardState() {
        return hardState;
    }

    /** Entries to append to the log (possibly replacing a conflicting suffix). */
    public List<Entry> entries() {
        return entries;
    }

    /** A snapshot received from the leader to install and persist (replacing the whole log), or null. */
    public SnapshotMetadata snapshot() {
        return snapshot;
    }

    /** Committed entries to apply to the state machine, in log order. */
    public List<Entry> committedEntries() {
        return committedEntries;
    }

    /** Messages that may be sent right away, without waiting for this Ready's write. */
    public List<Message> messages() {
        return messages;
    }

    /** Messages to send only once this Ready's state is durable. */
    public List<Message> messagesAfterPersist() {
        return messagesAfterPersist;
    }

    /** ReadIndex requests that became safe to serve. */
    public List<ReadState> readStates() {
        return readStates;
    }

    /** Whether the write of this Ready must be fsynced before {@link #messagesAfterPersist()} go out. */
    public boolean mustSync() {
        return mustSync;
    }

    @Override
    public String toString() {
        return "Ready{soft=" + softState + ", hard=" + (hardState == null ? "-" : hardState.getTerm() + "/"
                + hardState.getVote() + "/" + hardState.getCommit()) + ", entries=" + entries.size() + ", snapshot="
                + (snapshot == null ? "-" : snapshot.getIndex()) + ", committed=" + committedEntries.size()
                + ", messages=" + messages.size() + "+" + messagesAfterPersist.size() + ", reads=" + readStates.size()
                + ", sync=" + mustSync + "}";
    }
}
