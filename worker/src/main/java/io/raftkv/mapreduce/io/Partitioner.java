package io.raftkv.mapreduce.io;

import java.nio.charset.StandardCharsets;

/**
 * Chooses a key's reduce partition: 32-bit FNV-1a over the key's UTF-8 bytes, made non-negative, modulo R. Stable
 * across processes, JVM versions and machines, which {@link String#hashCode()} is too, but FNV also spreads short
 * keys better.
 */
public final class Partitioner {
    private static final int FNV_OFFSET_BASIS = 0x811c9dc5;
    private static final int FNV_PRIME = 0x01000193;

    private Partitioner() {}

    public static int partition(String key, int reduces) {
        return (fnv1a(key) & 0x7fffffff) % reduces;
    }

    static int fnv1a(String key) {
        int hash = FNV_OFFSET_BASIS;
        int length = key.length();
        for (int i = 0; i < length; i++) {
            char c = key.charAt(i);
            if (c >= 0x80) {
                return fnv1aOfBytes(key);
            }
            // An ASCII char is its own UTF-8 byte: no need to encode the key.
            hash ^= c;
            hash *= FNV_PRIME;
        }
        return hash;
    }

    private static int fnv1aOfBytes(String key) {
        int hash = FNV_OFFSET_BASIS;
        for (byte b : key.getBytes(StandardCharsets.UTF_8)) {
            hash ^= b & 0xff;
            hash *= FNV_PRIME;
        }
        return hash;
    }
}
