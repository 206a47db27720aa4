package io.raftkv.raft.storage;

/** Log keys: the entry index as 8 big-endian bytes, so RocksDB's byte order is index order. */
final class IndexKeys {
    private IndexKeys() {}

    static byte[] key(long index) {
        byte[] key = new byte[8];
        write(index, key);
        return key;
    }

    /** Writes {@code index} into {@code key} (8 bytes), for callers that reuse one key array. */
    static void write(long index, byte[] key) {
        for (int i = 7; i >= 0; i--) {
            key[i] = (byte) index;
            index >>>= 8;
        }
    }

    static long index(byte[] key) {
        if (key.length != 8) {
            throw new IllegalArgumentException("a log key has 8 bytes, not " + key.length);
        }
        long index = 0;
        for (int i = 0; i < 8; i++) {
            index = (index << 8) | (key[i] & 0xFF);
        }
        return index;
    }
}
