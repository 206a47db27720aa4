package io.raftkv.kv.server;

import io.raftkv.kv.state.KvReader;
import io.raftkv.proto.kv.KvCommand;
import io.raftkv.proto.kv.StatusReply;

/**
 * What {@link KvService} needs to know about the state behind it: the unsharded store ({@link #plain}) or one replica
 * group of the sharded store ({@code io.raftkv.kv.shardkv.ShardBackend}). The service owns the gRPC side (checks,
 * Raft waits, replies); the backend says how a write is proposed, whether a key is served here, and what a read
 * finds.
 */
public interface KvBackend {

    /** The Raft proposal for a client's write. */
    byte[] proposal(KvCommand write);

    /**
     * The configuration number to refuse {@code key} with (WRONG_GROUP) without asking Raft, or -1 when this node may
     * serve it. A hint only: the state machine checks ownership again when the write applies.
     */
    long refusal(byte[] key);

    /** What a linearizable read of {@code key} found (called after the read barrier). */
    Read read(byte[] key);

    /** Adds what the backend knows to a status reply (the group, its configuration and shards). */
    default void describe(StatusReply.Builder status) {}

    /** A read's outcome: the value (null: no such key), or, when not {@code served}, WRONG_GROUP. */
    record Read(boolean served, byte[] value, long configNum) {}

    /** The unsharded store: every key is served here and a write is proposed as its {@link KvCommand}. */
    static KvBackend plain(KvReader reader) {
        return new KvBackend() {
            @Override
            public byte[] proposal(KvCommand write) {
                return write.toByteArray();
            }

            @Override
            public long refusal(byte[] key) {
                return -1;
            }

            @Override
            public Read read(byte[] key) {
                return new Read(true, reader.get(key), 0);
            }
        };
    }
}
