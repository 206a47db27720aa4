package io.raftkv.raft.core;

import io.raftkv.proto.raft.Entry;
import io.raftkv.proto.raft.SnapshotMetadata;

/**
 * The position of one log entry: its term and index. Two entries with the same id hold the same command (the Log
 * Matching property), so the pair is how a proposal, a committed command or a snapshot is recognised; it travels as
 * one value so the two numbers cannot be swapped or separated.
 */
public record EntryId(long term, long index) {
    /** The empty log's position: before the first entry. */
    public static final EntryId ZERO = new EntryId(0, 0);

    public static EntryId of(Entry entry) {
        return new EntryId(entry.getTerm(), entry.getIndex());
    }

    /** The last entry a snapshot covers. */
    public static EntryId of(SnapshotMetadata snapshot) {
        return new EntryId(snapshot.getTerm(), snapshot.getIndex());
    }

    @Override
    public String toString() {
        return index + "/" + term;
    }
}
