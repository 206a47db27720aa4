package io.raftkv.raft.core;

import io.raftkv.proto.raft.ConfState;
import io.raftkv.proto.raft.Entry;
import io.raftkv.proto.raft.SnapshotMetadata;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * A node's whole log: the durable part in {@link LogStorage} followed by the unstable part this node has accepted but
 * not yet seen persisted (entries from {@code unstableOffset} on, and possibly a snapshot received from the leader).
 * Along with the commit and applied indexes.
 *
 * <p>This is the one class that maps log indexes to positions, across compaction and across the stable/unstable
 * boundary; everyone else speaks in indexes and terms only.
 */
public final class RaftLog {
    /** What {@link #term(long)} returns for an index that is compacted away or beyond the last index. */
    static final long NO_TERM = -1;
    /** How much of the stored log a restart reads at a time to find its membership changes. */
    private static final long READ_BACK_CHUNK_BYTES = 4L << 20;

    private final LogStorage storage;
    /** A snapshot received from the leader that replaces the whole log once persisted; null if none. */
    private SnapshotMetadata pendingSnapshot;
    /** Entries not yet persisted: {@code unstable.get(k)} has index {@code unstableOffset + k}. */
    private final ArrayList<Entry> unstable = new ArrayList<>();
    private long unstableOffset;
    private long committed;
    private long applied;
    /** The membership at each point of this log, kept in step with every append and restore. */
    private final MembershipHistory memberships;
    private Consumer<Membership> membershipListener = m -> { };

    /**
     * The position of {@code index} in a run of consecutive entries that starts at index {@code first}: the one
     * index-to-position mapping that every view of the log (this class's unstable entries, the storage's size ring and
     * entry cache, the runtime's proposal matching) uses.
     *
     * @throws IndexOutOfBoundsException if {@code index} is before {@code first} or too far after it for an int
     */
    public static int position(long first, long index) {
        long position = index - first;
        if (position < 0 || position > Integer.MAX_VALUE) {
            throw new IndexOutOfBoundsException("index " + index + " is not in a run starting at " + first);
        }
        return (int) position;
    }

    /** The first index of a log whose snapshot (or compaction base) covers everything up to {@code baseIndex}. */
    public static long firstIndexAfter(long baseIndex) {
        return baseIndex + 1;
    }

    /**
     * A log over what {@code storage} holds. {@code initial} is the membership at the storage's snapshot when the
     * storage records none (a new node); the membership changes in the stored entries are read back here.
     */
    RaftLog(LogStorage storage, long committed, long applied, Membership initial) {
        this.storage = storage;
        this.unstableOffset = storage.lastIndex() + 1;
        this.committed = committed;
        this.applied = applied;
        ConfState stored = storage.initialState().confState();
        this.memberships = new MembershipHistory(storage.firstIndex() - 1,
                stored.getVotersCount() > 0 ? Membership.of(stored) : initial);
        for (long next = storage.firstIndex(); next <= storage.lastIndex(); ) {
            List<Entry> chunk = storage.entries(next, storage.lastIndex() + 1, READ_BACK_CHUNK_BYTES);
            memberships.appended(chunk);
            next += chunk.size();
        }
    }

    /** The membership the whole log establishes: its newest change, committed or not. */
    Membership membership() {
        return memberships.current();
    }

    /** The membership in effect at {@code index} (not before the log's snapshot). */
    Membership membershipAt(long index) {
        return memberships.at(index);
    }

    /**
     * The index of the newest membership change in the log, or of a snapshot installed since (0 if neither): a change
     * is in flight while this is above the commit index.
     */
    long lastMembershipChangeIndex() {
        return memberships.lastChangeIndex();
    }

    /** Called with the new membership whenever an append or a snapshot changes it. */
    void onMembershipChange(Consumer<Membership> listener) {
        this.membershipListener = listener;
    }

    long committed() {
        return committed;
    }

    long applied() {
        return applied;
    }

    long firstIndex() {
        return pendingSnapshot != null ? firstIndexAfter(pendingSnapshot.getIndex()) : storage.firstIndex();
    }

    /** The index of the last entry the (stored or pending) snapshot covers: the entry before the log. */
    long snapshotIndex() {
        return firstIndex() - 1;
    }

    long lastIndex() {
        if (!unstable.isEmpty()) {
            return unstableOffset + unstable.size() - 1;
        }
        return pendingSnapshot != null ? pendingSnapshot.getIndex() : unstableOffset - 1;
    }

    /** The last index this node has persisted (the leader counts itself for commit only up to here). */
    long persistedLastIndex() {
        return unstableOffset - 1;
    }

    /** The term of the entry at {@code index}, or {@link #NO_TERM} if it is compacted away or beyond the last index. */
    long term(long index) {
        if (pendingSnapshot != null && index == pendingSnapshot.getIndex()) {
            return pendingSnapshot.getTerm();
        }
        if (index >= unstableOffset) {
            long pos = index - unstableOffset;
            return pos < unstable.size() ? unstable.get(position(unstableOffset, index)).getTerm() : NO_TERM;
        }
        if (pendingSnapshot != null) {
            return NO_TERM;
        }
        if (index < storage.snapshotIndex() || index > storage.lastIndex()) {
            return NO_TERM;
        }
        return storage.term(index);
    }

    long lastTerm() {
        return term(lastIndex());
    }

    boolean matchTerm(long index, long term) {
        return term >= 0 && term(index) == term;
    }

    /** Whether a candidate whose log ends at (lastIndex, lastTerm) is at least as up to date as this log. */
    boolean isUpToDate(long candidateLastIndex, long candidateLastTerm) {
        long ourLastTerm = lastTerm();
        return candidateLastTerm > ourLastTerm
                || (candidateLastTerm == ourLastTerm && candidateLastIndex >= lastIndex());
    }

    /**
     * The largest index at or below {@code index} whose term is at most {@code term}: no index above it can match a log
     * whose entry at {@code index} has a term of at most {@code term}, because terms never decrease along a log. If
     * every known entry in range has a larger term, returns the index just below the first known one (its term is
     * unknown). Binary search, since terms are sorted. {@code index} is clamped to the last index.
     */
    long findConflictByTerm(long index, long term) {
        long hi = Math.min(index, lastIndex());
        long lo = snapshotIndex(); // its term is always known (the snapshot's)
        if (hi < lo) {
            return hi;
        }
        if (term(lo) > term) {
            return lo - 1;
        }
        // invariant: term(lo) <= term; answer in [lo, hi]
        while (lo < hi) {
            long mid = lo + (hi - lo + 1) / 2;
            if (term(mid) <= term) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    /**
     * Entries {@code [lo, hi)} limited to about {@code maxBytes} (at least one), or null if {@code lo} is compacted
     * away (the caller must fall back to a snapshot). {@code hi} is clamped to the end of the log.
     */
    List<Entry> entries(long lo, long hi, long maxBytes) {
        hi = Math.min(hi, lastIndex() + 1);
        if (lo >= hi) {
            return List.of();
        }
        if (lo < firstIndex()) {
            return null;
        }
        ArrayList<Entry> out = new ArrayList<>();
        long bytes = 0;
        if (lo < unstableOffset) {
            long storageHi = Math.min(hi, unstableOffset);
            List<Entry> stored = storage.entries(lo, storageHi, maxBytes);
            out.addAll(stored);
            if (stored.size() < storageHi - lo) {
                return out; // the size limit cut the stored part short
            }
            for (Entry e : stored) {
                bytes += e.getSerializedSize();
            }
        }
        if (hi > unstableOffset) {
            int from = position(unstableOffset, Math.max(lo, unstableOffset));
            int to = position(unstableOffset, hi);
            for (int k = from; k < to; k++) {
                Entry e = unstable.get(k);
                bytes += e.getSerializedSize();
                if (!out.isEmpty() && bytes > maxBytes) {
                    break;
                }
                out.add(e);
            }
        }
        return out;
    }

    /**
     * Appends the leader's entries after (prevIndex, prevTerm) if this log has that entry, replacing a conflicting
     * suffix, and advances the commit index to what the leader says is committed (within what is known to match).
     * Returns the index of the last entry known to match the leader's log, or -1 if (prevIndex, prevTerm) is not in
     * this log. The caller guarantees {@code prevIndex >= committed}.
     */
    long maybeAppend(long prevIndex, long prevTerm, long leaderCommit, List<Entry> entries) {
        if (!matchTerm(prevIndex, prevTerm)) {
            return -1;
        }
        long lastNew = prevIndex + entries.size();
        int firstConflict = -1;
        for (int k = 0; k < entries.size(); k++) {
            Entry e = entries.get(k);
            if (!matchTerm(e.getIndex(), e.getTerm())) {
                firstConflict = k;
                break;
            }
        }
        if (firstConflict >= 0) {
            append(entries.subList(firstConflict, entries.size()));
        }
        commitTo(Math.min(leaderCommit, lastNew));
        return lastNew;
    }

    /** Appends entries to the unstable part, replacing whatever was at or after the first one's index. */
    long append(List<Entry> entries) {
        if (entries.isEmpty()) {
            return lastIndex();
        }
        long after = entries.get(0).getIndex();
        if (after <= committed) {
            throw new IllegalStateException("entry " + after + " would overwrite committed entries (commit "
                    + committed + ")");
        }
        if (after > lastIndex() + 1) {
            throw new IllegalStateException("entry " + after + " leaves a gap after last index " + lastIndex());
        }
        long end = unstableOffset + unstable.size();
        boolean membershipChanged = memberships.appended(entries);
        if (after == end) {
            unstable.addAll(entries);
        } else if (after <= unstableOffset) {
            // Replaces part of the persisted log too: the runtime truncates storage when it persists these.
            unstable.clear();
            unstableOffset = after;
            unstable.addAll(entries);
        } else {
            unstable.subList(position(unstableOffset, after), unstable.size()).clear();
            unstable.addAll(entries);
        }
        if (membershipChanged) {
            membershipListener.accept(memberships.current());
        }
        return lastIndex();
    }

    /** Whether the last committed entry is of {@code term} (a leader has committed in its own term). */
    boolean hasCommittedInTerm(long term) {
        return term(committed) == term;
    }

    void commitTo(long index) {
        if (index > committed) {
            if (index > lastIndex()) {
                throw new IllegalStateException("commit index " + index + " is beyond the last index " + lastIndex()
                        + " (log corrupted or truncated?)");
            }
            committed = index;
        }
    }

    /** Commits up to {@code index} if the entry there is of {@code term} (a leader commits only its own term). */
    boolean maybeCommit(long index, long term) {
        if (index > committed && term(index) == term) {
            commitTo(index);
            return true;
        }
        return false;
    }

    /** Replaces the whole log with a snapshot from the leader; it is persisted through the next Ready. */
    void restore(SnapshotMetadata snapshot) {
        committed = snapshot.getIndex();
        pendingSnapshot = snapshot;
        unstable.clear();
        unstableOffset = snapshot.getIndex() + 1;
        if (memberships.restored(snapshot.getIndex(), Membership.of(snapshot.getConfState()))) {
            membershipListener.accept(memberships.current());
        }
    }

    /** The snapshot to send to a follower that needs compacted entries (see {@link LogStorage#snapshot()}). */
    Optional<SnapshotMetadata> snapshotForFollower() {
        return pendingSnapshot != null ? Optional.of(pendingSnapshot) : storage.snapshot();
    }

    SnapshotMetadata pendingSnapshot() {
        return pendingSnapshot;
    }

    boolean hasUnstableEntries() {
        return !unstable.isEmpty();
    }

    List<Entry> unstableEntries() {
        return List.copyOf(unstable);
    }

    /**
     * Marks entries up to (index, term) as persisted. Ignored if the log changed meanwhile (the entry at index now has
     * another term, or was replaced by a snapshot): those entries are handed out again.
     */
    void stableTo(long index, long term) {
        if (index < unstableOffset || index >= unstableOffset + unstable.size()) {
            return;
        }
        if (unstable.get(position(unstableOffset, index)).getTerm() != term) {
            return;
        }
        unstable.subList(0, position(unstableOffset, index) + 1).clear();
        unstableOffset = index + 1;
    }

    void stableSnapshotTo(long index) {
        if (pendingSnapshot != null && pendingSnapshot.getIndex() == index) {
            pendingSnapshot = null;
        }
    }

    /** Whether committed entries are waiting to be applied (not before a pending snapshot is installed). */
    boolean hasNextCommittedEntries() {
        return pendingSnapshot == null && committed > applied;
    }

    /** The next committed entries to apply, up to {@code maxBytes} (at least one if any). */
    List<Entry> nextCommittedEntries(long maxBytes) {
        if (!hasNextCommittedEntries()) {
            return List.of();
        }
        List<Entry> out = entries(applied + 1, committed + 1, maxBytes);
        if (out == null) {
            throw new IllegalStateException("applied index " + applied + " is behind the first index " + firstIndex());
        }
        return out;
    }

    void appliedTo(long index) {
        if (index > committed || index < applied) {
            throw new IllegalStateException("applied index " + index + " out of range [" + applied + ", " + committed
                    + "]");
        }
        applied = index;
    }
}
