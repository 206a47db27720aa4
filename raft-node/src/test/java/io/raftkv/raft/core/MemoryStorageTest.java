package io.raftkv.raft.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import io.raftkv.proto.raft.ConfState;
import io.raftkv.proto.raft.Entry;
import io.raftkv.proto.raft.SnapshotMetadata;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class MemoryStorageTest {

    static List<Entry> entries(long firstIndex, long... terms) {
        List<Entry> out = new ArrayList<>();
        for (int k = 0; k < terms.length; k++) {
            out.add(Entry.newBuilder().setIndex(firstIndex + k).setTerm(terms[k])
                    .setData(ByteString.copyFromUtf8("e" + (firstIndex + k))).build());
        }
        return out;
    }

    @Test
    void emptyStorageStartsAtIndexOne() {
        MemoryStorage s = new MemoryStorage();
        assertEquals(1, s.firstIndex());
        assertEquals(0, s.lastIndex());
        assertEquals(0, s.term(0));
    }

    @Test
    void appendReplacesConflictingSuffix() {
        MemoryStorage s = new MemoryStorage();
        s.append(entries(1, 1, 1, 1, 1));
        s.append(entries(3, 2, 2));
        assertEquals(4, s.lastIndex());
        assertEquals(List.of(1L, 1L, 2L, 2L), List.of(s.term(1), s.term(2), s.term(3), s.term(4)));
    }

    @Test
    void appendRefusesGaps() {
        MemoryStorage s = new MemoryStorage();
        s.append(entries(1, 1));
        assertThrows(IllegalArgumentException.class, () -> s.append(entries(3, 1)));
    }

    @Test
    void entriesHonourByteLimitButReturnAtLeastOne() {
        MemoryStorage s = new MemoryStorage();
        s.append(entries(1, 1, 1, 1, 1));
        assertEquals(1, s.entries(1, 5, 1).size());
        int one = entries(1, 1).get(0).getSerializedSize();
        assertEquals(2, s.entries(1, 5, 2L * one).size());
        assertEquals(4, s.entries(1, 5, Long.MAX_VALUE).size());
        assertThrows(IllegalArgumentException.class, () -> s.entries(0, 2, 100));
    }

    @Test
    void compactDropsPrefixAndRecordsSnapshot() {
        ConfState cs = ConfState.newBuilder().addVoters("n1").build();
        MemoryStorage s = new MemoryStorage(cs);
        s.append(entries(1, 1, 1, 2, 2, 3));
        long before = s.sizeInBytes();
        s.compact(3);
        assertEquals(4, s.firstIndex());
        assertEquals(5, s.lastIndex());
        assertEquals(2, s.term(3));
        assertEquals(3, s.snapshot().orElseThrow().getIndex());
        assertEquals(cs, s.snapshot().orElseThrow().getConfState());
        assertThrows(IllegalArgumentException.class, () -> s.term(2));
        assertEquals(true, s.sizeInBytes() < before);
        // appending below the snapshot skips what is covered
        s.append(entries(3, 2, 2, 2));
        assertEquals(5, s.lastIndex());
        assertEquals(2, s.term(5));
    }

    @Test
    void applySnapshotReplacesTheLog() {
        MemoryStorage s = new MemoryStorage();
        s.append(entries(1, 1, 1, 1));
        s.applySnapshot(SnapshotMetadata.newBuilder().setIndex(10).setTerm(4).build());
        assertEquals(11, s.firstIndex());
        assertEquals(10, s.lastIndex());
        assertEquals(4, s.term(10));
        assertThrows(IllegalArgumentException.class,
                () -> s.applySnapshot(SnapshotMetadata.newBuilder().setIndex(5).setTerm(1).build()));
    }
}
