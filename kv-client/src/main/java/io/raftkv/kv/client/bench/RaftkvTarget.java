package io.raftkv.kv.client.bench;

import io.raftkv.kv.client.Clerk;
import io.raftkv.kv.client.KvClient;
import io.raftkv.kv.client.ShardedClerk;
import io.raftkv.kv.client.KvInvalidArgumentException;
import io.raftkv.kv.client.KvUnavailableException;

/**
 * A raftkv store through one {@link Clerk} (or {@link ShardedClerk}): one channel per node, and one client session
 * per concurrent caller (the client's session pool), so every load client is its own stream of exactly-once writes.
 */
public final class RaftkvTarget implements BenchTarget {
    private final KvClient clerk;
    private final String endpoints;

    /** {@code clerk}: a Clerk or ShardedClerk this target owns; {@code endpoints} describes where it points. */
    RaftkvTarget(KvClient clerk, String endpoints) {
        this.clerk = clerk;
        this.endpoints = endpoints;
    }

    @Override
    public String system() {
        return "raftkv";
    }

    @Override
    public String endpoints() {
        return endpoints;
    }

    @Override
    public void put(byte[] key, byte[] value) {
        clerk.put(key, value);
    }

    @Override
    public boolean get(byte[] key) {
        return clerk.get(key).found();
    }

    @Override
    public String errorKind(Throwable failure) {
        if (failure instanceof KvUnavailableException) {
            return "unavailable";
        }
        if (failure instanceof KvInvalidArgumentException) {
            return "invalid_argument";
        }
        return ErrorKinds.other(failure);
    }

    @Override
    public void close() {
        clerk.close();
    }
}
