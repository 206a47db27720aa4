package io.raftkv.kv.shardkv;

import io.raftkv.kv.state.SessionKeys;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * How a replica group lays its shards out in RocksDB: every data key and every client session is prefixed with its
 * shard's number (2 bytes, big-endian), so that one shard is one contiguous key range: read in key order for a pull,
 * and deleted by walking that range (see {@code ShardGroupRules}).
 */
final class ShardKeys {
    static final int PREFIX_BYTES = 2;
    /** The most shards a group can hold: what fits in the prefix. */
    static final int MAX_SHARDS = 1 << 16;

    private ShardKeys() {}

    static byte[] prefix(int shard) {
        return new byte[] {(byte) (shard >>> 8), (byte) shard};
    }

    /** The first key after every key of {@code shard}: the exclusive end of its range. */
    static byte[] end(int shard) {
        return shard + 1 < MAX_SHARDS ? prefix(shard + 1) : new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff};
    }

    /** A key of {@code shard} as stored. */
    static byte[] dataKey(int shard, byte[] key) {
        return ByteBuffer.allocate(PREFIX_BYTES + key.length).put(prefix(shard)).put(key).array();
    }

    /** The client's key of a stored key. */
    static byte[] userKey(byte[] storedKey) {
        return Arrays.copyOfRange(storedKey, PREFIX_BYTES, storedKey.length);
    }

    /** Whether a stored key belongs to {@code shard}. */
    static boolean inShard(byte[] storedKey, int shard) {
        return storedKey.length > PREFIX_BYTES && ((storedKey[0] & 0xff) << 8 | (storedKey[1] & 0xff)) == shard;
    }

    /** Where {@code shard}'s client sessions are kept. */
    static SessionKeys sessions(int shard) {
        return SessionKeys.withPrefix(prefix(shard));
    }
}
