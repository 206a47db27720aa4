package io.raftkv.raft.core;

/**
 * The append messages in flight to one follower, oldest first, each remembered by the last index it carried: a ring
 * buffer that bounds how far the leader pipelines ahead of the follower's acknowledgements.
 */
final class Inflights {
    private final long[] lastIndexes;
    private int start;
    private int count;

    Inflights(int capacity) {
        this.lastIndexes = new long[capacity];
    }

    void add(long lastIndex) {
        if (full()) {
            throw new IllegalStateException("no room for another in-flight message");
        }
        lastIndexes[(start + count) % lastIndexes.length] = lastIndex;
        count++;
    }

    /** Frees every message whose last index is at or below {@code index} (the follower has acknowledged them). */
    void freeUpTo(long index) {
        while (count > 0 && lastIndexes[start] <= index) {
            start = (start + 1) % lastIndexes.length;
            count--;
        }
        if (count == 0) {
            start = 0;
        }
    }

    boolean full() {
        return count == lastIndexes.length;
    }

    int count() {
        return count;
    }

    void reset() {
        start = 0;
        count = 0;
    }
}
