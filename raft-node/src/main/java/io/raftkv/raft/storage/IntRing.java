package io.raftkv.raft.storage;

/**
 * A growable ring of ints addressed by position: the serialized size of every entry in the log, so that the log's size
 * in bytes stays exact across appends, suffix overwrites and prefix compaction without reading entries back.
 */
final class IntRing {
    private int[] values = new int[1024];
    private int head;
    private int size;

    int size() {
        return size;
    }

    int get(int position) {
        if (position < 0 || position >= size) {
            throw new IndexOutOfBoundsException(position + " outside [0, " + size + ")");
        }
        return values[(head + position) & (values.length - 1)];
    }

    void addLast(int value) {
        if (size == values.length) {
            grow();
        }
        values[(head + size) & (values.length - 1)] = value;
        size++;
    }

    /** Removes the first {@code count} values and returns their sum. */
    long removeFirst(int count) {
        long sum = 0;
        for (int i = 0; i < count; i++) {
            sum += values[head];
            head = (head + 1) & (values.length - 1);
        }
        size -= count;
        maybeShrink();
        return sum;
    }

    /** Keeps the first {@code newSize} values; returns the sum of those removed. */
    long truncate(int newSize) {
        long sum = 0;
        for (int p = newSize; p < size; p++) {
            sum += values[(head + p) & (values.length - 1)];
        }
        size = newSize;
        maybeShrink();
        return sum;
    }

    void clear() {
        head = 0;
        size = 0;
        maybeShrink();
    }

    private void grow() {
        int[] bigger = new int[values.length * 2];
        for (int p = 0; p < size; p++) {
            bigger[p] = values[(head + p) & (values.length - 1)];
        }
        values = bigger;
        head = 0;
    }

    private void maybeShrink() {
        if (values.length > 1024 && size < values.length / 4) {
            int[] smaller = new int[Math.max(1024, Integer.highestOneBit(Math.max(size, 1)) * 2)];
            for (int p = 0; p < size; p++) {
                smaller[p] = values[(head + p) & (values.length - 1)];
            }
            values = smaller;
            head = 0;
        }
    }
}
