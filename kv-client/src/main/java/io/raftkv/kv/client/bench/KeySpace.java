package io.raftkv.kv.client.bench;

import java.nio.charset.StandardCharsets;

/** The benchmark's keys: {@code prefix} followed by a zero-padded index in [0, size), so every key has one length. */
public final class KeySpace {
    private final byte[] prefix;
    private final int size;
    private final int digits;

    public KeySpace(String prefix, int size) {
        if (size < 1) {
            throw new IllegalArgumentException("a key space needs at least one key, not " + size);
        }
        this.prefix = prefix.getBytes(StandardCharsets.UTF_8);
        this.size = size;
        this.digits = Integer.toString(size - 1).length();
    }

    public int size() {
        return size;
    }

    /** The key with index {@code index}, e.g. {@code bench/0042} in a space of 1000 keys. */
    public byte[] key(int index) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException("key " + index + " of " + size);
        }
        byte[] key = new byte[prefix.length + digits];
        System.arraycopy(prefix, 0, key, 0, prefix.length);
        int value = index;
        for (int i = key.length - 1; i >= prefix.length; i--) {
            key[i] = (byte) ('0' + value % 10);
            value /= 10;
        }
        return key;
    }
}
