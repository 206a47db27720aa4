package io.raftkv.raft.storage;

import io.raftkv.proto.raft.Entry;
import io.raftkv.raft.core.RaftLog;
import java.util.List;

/**
 * The most recent log entries, kept in memory up to a byte budget: a leader reads them back to replicate, and every
 * node to apply them, usually within milliseconds of writing them, so these reads rarely reach RocksDB. Covers a
 * contiguous run {@code [firstIndex, firstIndex + size)}; the oldest entries are evicted first (by bytes and by
 * count). One thread only.
 */
final class EntryCache {
    private final long maxBytes;
    private final int maxEntries;
    private Entry[] ring = new Entry[256];
    private int head;
    private int size;
    private long firstIndex;
    private long bytes;

    EntryCache(long maxBytes, int maxEntries) {
        this.maxBytes = maxBytes;
        this.maxEntries = maxEntries;
    }

    /** The cached entry at {@code index}, or null. */
    Entry get(long index) {
        if (size == 0 || index < firstIndex || index >= firstIndex + size) {
            return null;
        }
        return ring[(head + RaftLog.position(firstIndex, index)) & (ring.length - 1)];
    }

    long firstIndex() {
        return size == 0 ? Long.MAX_VALUE : firstIndex;
    }

    /**
     * Records entries just written. They follow the cached run, or replace its suffix from their first index on; if
     * they do neither (a gap), the cache restarts with them.
     */
    void append(List<Entry> entries) {
        if (entries.isEmpty()) {
            return;
        }
        long first = entries.get(0).getIndex();
        if (size > 0 && first > firstIndex && first <= firstIndex + size) {
            truncateFrom(first);
        } else if (size == 0 || first != firstIndex + size) {
            clear();
            firstIndex = first;
        }
        for (Entry e : entries) {
            if (size == ring.length) {
                grow();
            }
            ring[(head + size) & (ring.length - 1)] = e;
            size++;
            bytes += e.getSerializedSize();
        }
        while (size > 1 && (bytes > maxBytes || size > maxEntries)) {
            evictFirst();
        }
    }

    /** Forgets entries at {@code index} and later. */
    void truncateFrom(long index) {
        while (size > 0 && firstIndex + size - 1 >= index) {
            int slot = (head + size - 1) & (ring.length - 1);
            bytes -= ring[slot].getSerializedSize();
            ring[slot] = null;
            size--;
        }
    }

    /** Forgets entries up to and including {@code index}. */
    void dropUpTo(long index) {
        while (size > 0 && firstIndex <= index) {
            evictFirst();
        }
    }

    void clear() {
        while (size > 0) {
            evictFirst();
        }
        head = 0;
        bytes = 0;
    }

    private void evictFirst() {
        bytes -= ring[head].getSerializedSize();
        ring[head] = null;
        head = (head + 1) & (ring.length - 1);
        size--;
        firstIndex++;
    }

    private void grow() {
        Entry[] bigger = new Entry[ring.length * 2];
        for (int p = 0; p < size; p++) {
            bigger[p] = ring[(head + p) & (ring.length - 1)];
        }
        ring = bigger;
        head = 0;
    }
}
