package io.raftkv.raft.core;

import io.raftkv.proto.raft.Entry;
import io.raftkv.proto.raft.EntryType;
import java.util.ArrayList;
import java.util.List;

/**
 * The membership at each point of one node's log. A change takes effect as soon as its entry is in the log, committed
 * or not (the Raft dissertation, section 4.1), so when a new leader's entries replace a log's uncommitted suffix, the
 * changes in that suffix are undone with it. {@link RaftLog} keeps this in step with its entries.
 */
final class MembershipHistory {
    private record Change(long index, Membership membership) {}

    /**
     * How many changes are kept before the oldest are folded into the base. Only compaction asks about old indexes,
     * and it never reaches back past several snapshot installs.
     */
    private static final int KEPT_CHANGES = 64;

    /** The membership at {@code baseIndex}: the log's first snapshot, or the initial one. */
    private long baseIndex;
    private Membership base;
    /** The changes after {@code baseIndex}, in log order: change entries, and snapshots installed since. */
    private final ArrayList<Change> changes = new ArrayList<>();

    MembershipHistory(long baseIndex, Membership base) {
        this.baseIndex = baseIndex;
        this.base = base;
    }

    Membership current() {
        return changes.isEmpty() ? base : changes.get(changes.size() - 1).membership();
    }

    /** The index of the newest membership change in the log, or of the snapshot installed since (0 if neither). */
    long lastChangeIndex() {
        return changes.isEmpty() ? 0 : changes.get(changes.size() - 1).index();
    }

    /** The membership in effect at {@code index}, which must not lie before the log's snapshot. */
    Membership at(long index) {
        if (index < baseIndex) {
            throw new IllegalArgumentException("index " + index + " lies before the snapshot at " + baseIndex);
        }
        for (int k = changes.size() - 1; k >= 0; k--) {
            if (changes.get(k).index() <= index) {
                return changes.get(k).membership();
            }
        }
        return base;
    }

    /**
     * Entries now in the log from {@code entries.get(0).getIndex()} on, replacing whatever was there. Returns whether
     * the current membership changed.
     */
    boolean appended(List<Entry> entries) {
        if (entries.isEmpty()) {
            return false;
        }
        // Every append passes here: the common one, with no change entry and nothing undone, compares nothing.
        Membership before = null;
        long from = entries.get(0).getIndex();
        while (!changes.isEmpty() && changes.get(changes.size() - 1).index() >= from) {
            before = before == null ? current() : before;
            changes.remove(changes.size() - 1);
        }
        for (Entry e : entries) {
            if (e.getType() == EntryType.ENTRY_CONF_CHANGE) {
                before = before == null ? current() : before;
                changes.add(new Change(e.getIndex(), current().apply(e)));
            }
        }
        return before != null && !current().equals(before);
    }

    /**
     * The log was replaced by a snapshot at {@code index}. What is known of earlier indexes stays: the runtime may
     * still compact the old log up to its applied index while the snapshot is being installed, and up to the commit
     * index the old log and the leader's agree. Returns whether the current membership changed.
     */
    boolean restored(long index, Membership membership) {
        Membership before = current();
        while (!changes.isEmpty() && changes.get(changes.size() - 1).index() >= index) {
            changes.remove(changes.size() - 1);
        }
        changes.add(new Change(index, membership));
        while (changes.size() > KEPT_CHANGES) {
            Change oldest = changes.remove(0);
            baseIndex = oldest.index();
            base = oldest.membership();
        }
        return !membership.equals(before);
    }
}
