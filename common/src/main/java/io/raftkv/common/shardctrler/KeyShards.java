package io.raftkv.common.shardctrler;

/**
 * Which shard a key belongs to, the same in every client and server: the 32-bit FNV-1a hash of the key's bytes (all
 * of them), taken unsigned, modulo the number of shards. Stable across versions and machines: changing it would move
 * every stored key to another shard.
 */
public final class KeyShards {
    private static final int FNV_OFFSET = 0x811c9dc5;
    private static final int FNV_PRIME = 0x01000193;

    private KeyShards() {}

    /** The shard of {@code key} among {@code shards} shards. */
    public static int shardOf(byte[] key, int shards) {
        if (shards <= 0) {
            throw new IllegalArgumentException("the number of shards must be positive, not " + shards);
        }
        int hash = FNV_OFFSET;
        for (byte b : key) {
            hash ^= b & 0xff;
            hash *= FNV_PRIME;
        }
        return (int) (Integer.toUnsignedLong(hash) % shards);
    }
}
