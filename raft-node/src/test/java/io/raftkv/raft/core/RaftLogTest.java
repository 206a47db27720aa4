package io.raftkv.raft.core;

import static io.raftkv.raft.core.MemoryStorageTest.entries;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.proto.raft.Entry;
import io.raftkv.proto.raft.SnapshotMetadata;
import java.util.List;
import org.junit.jupiter.api.Test;

class RaftLogTest {

    private static RaftLog logWith(MemoryStorage storage) {
        return new RaftLog(storage, storage.hardState().getCommit(), storage.firstIndex() - 1,
                Membership.ofVoters(java.util.List.of("a")));
    }

    @Test
    void termsSpanStorageAndUnstable() {
        MemoryStorage s = new MemoryStorage();
        s.append(entries(1, 1, 1, 2));
        s.compact(1);
        RaftLog log = logWith(s);
        log.append(entries(4, 3, 3));
        assertEquals(1, log.term(1)); // the snapshot's term
        assertEquals(RaftLog.NO_TERM, log.term(0)); // compacted
        assertEquals(2, log.term(3));
        assertEquals(3, log.term(5));
        assertEquals(RaftLog.NO_TERM, log.term(6));
        assertEquals(5, log.lastIndex());
        assertEquals(2, log.firstIndex());
        assertEquals(3, log.persistedLastIndex());
    }

    @Test
    void entriesSliceAcrossTheStableBoundaryAndReportCompaction() {
        MemoryStorage s = new MemoryStorage();
        s.append(entries(1, 1, 1, 1));
        s.compact(1);
        RaftLog log = logWith(s);
        log.append(entries(4, 2, 2));
        List<Entry> all = log.entries(2, 6, Long.MAX_VALUE);
        assertEquals(List.of(2L, 3L, 4L, 5L), all.stream().map(Entry::getIndex).toList());
        assertEquals(1, log.entries(2, 6, 1).size());
        int size = all.get(0).getSerializedSize();
        assertEquals(3, log.entries(2, 6, 3L * size).size());
        assertNull(log.entries(1, 3, Long.MAX_VALUE));
        assertEquals(List.of(), log.entries(6, 9, 100));
    }

    @Test
    void maybeAppendTruncatesOnlyAConflictingSuffix() {
        RaftLog log = logWith(new MemoryStorage());
        log.append(entries(1, 1, 1, 1));
        // a duplicate of entries already there changes nothing
        assertEquals(2, log.maybeAppend(1, 1, 0, entries(2, 1)));
        assertEquals(3, log.lastIndex());
        // a conflict at 3 replaces 3 and appends 4
        assertEquals(4, log.maybeAppend(2, 1, 2, entries(3, 2, 2)));
        assertEquals(2, log.term(3));
        assertEquals(2, log.committed());
        // a previous entry that does not match is rejected
        assertEquals(-1, log.maybeAppend(4, 1, 4, entries(5, 2)));
        assertEquals(-1, log.maybeAppend(9, 2, 4, List.of()));
    }

    @Test
    void committedEntriesAreNeverOverwritten() {
        RaftLog log = logWith(new MemoryStorage());
        log.append(entries(1, 1, 1, 1));
        log.commitTo(2);
        assertThrows(IllegalStateException.class, () -> log.maybeAppend(1, 1, 3, entries(2, 2, 2)));
        assertThrows(IllegalStateException.class, () -> log.commitTo(9));
    }

    @Test
    void commitOnlyByCurrentTerm() {
        RaftLog log = logWith(new MemoryStorage());
        log.append(entries(1, 1, 1, 2));
        assertEquals(false, log.maybeCommit(2, 2)); // entry 2 has term 1: not committed by counting in term 2
        assertEquals(true, log.maybeCommit(3, 2));
        assertEquals(3, log.committed());
    }

    @Test
    void findConflictByTermSkipsLargerTerms() {
        RaftLog log = logWith(new MemoryStorage());
        log.append(entries(1, 1, 1, 1, 1, 2, 2)); // terms at 1..6: 1 1 1 1 2 2
        assertEquals(6, log.findConflictByTerm(6, 2));
        assertEquals(4, log.findConflictByTerm(6, 1));
        assertEquals(0, log.findConflictByTerm(6, 0));
        assertEquals(6, log.findConflictByTerm(100, 5)); // clamped to the last index
        MemoryStorage s = new MemoryStorage();
        s.append(entries(1, 1, 2, 2, 3));
        s.compact(2);
        RaftLog compacted = logWith(s);
        assertEquals(1, compacted.findConflictByTerm(4, 1)); // below what is known: the index under the snapshot
    }

    @Test
    void upToDateComparesLastTermThenLength() {
        RaftLog log = logWith(new MemoryStorage());
        log.append(entries(1, 1, 2, 2));
        assertTrue(log.isUpToDate(1, 3));
        assertTrue(log.isUpToDate(3, 2));
        assertEquals(false, log.isUpToDate(2, 2));
        assertEquals(false, log.isUpToDate(10, 1));
    }

    @Test
    void stableToIgnoresEntriesReplacedMeanwhile() {
        MemoryStorage s = new MemoryStorage();
        RaftLog log = logWith(s);
        log.append(entries(1, 1, 1, 1));
        List<Entry> handedOut = log.unstableEntries();
        log.append(entries(2, 2)); // a new leader replaced 2..3 while the write was in flight
        s.append(handedOut);
        log.stableTo(3, 1); // the persisted entry 3 (term 1) no longer exists: nothing becomes stable
        assertEquals(2, log.unstableEntries().size());
        s.append(log.unstableEntries());
        log.stableTo(2, 2);
        assertEquals(0, log.unstableEntries().size());
        assertEquals(2, log.lastIndex());
        assertEquals(2, log.term(2));
    }

    @Test
    void restoreReplacesTheLogAndHoldsBackCommittedEntries() {
        RaftLog log = logWith(new MemoryStorage());
        log.append(entries(1, 1, 1));
        log.commitTo(1);
        log.restore(SnapshotMetadata.newBuilder().setIndex(10).setTerm(3)
                .setConfState(io.raftkv.proto.raft.ConfState.newBuilder().addVoters("a").addLearners("b")).build());
        assertEquals(new Membership(java.util.List.of("a"), java.util.List.of("b")), log.membership());
        assertEquals(10, log.committed());
        assertEquals(11, log.firstIndex());
        assertEquals(10, log.lastIndex());
        assertEquals(3, log.term(10));
        assertEquals(false, log.hasNextCommittedEntries()); // the snapshot goes first
        log.stableSnapshotTo(10);
        log.appliedTo(10);
        assertEquals(false, log.hasNextCommittedEntries());
    }
}
