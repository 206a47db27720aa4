package io.raftkv.kv.client.bench;

import io.raftkv.common.cli.HostPort;
import io.raftkv.kv.client.Clerk;
import io.raftkv.kv.client.KvClient;
import io.raftkv.kv.client.ShardedClerk;
import io.raftkv.common.client.ClientOptions;
import io.raftkv.kv.client.KvInvalidArgumentException;
import io.raftkv.kv.client.KvUnavailableException;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A raftkv store through one {@link Clerk} (or {@link ShardedClerk}): one channel per node, and one client session
 * per concurrent caller (the client's session pool), so every load client is its own stream of exactly-once writes.
 */
public final class RaftkvTarget implements BenchTarget {
    private final KvClient clerk;
    private final String endpoints;

    public RaftkvTarget(List<HostPort> cluster, ClientOptions options) {
        this(cluster, false, options);
    }

    /** {@code addresses}: an unsharded cluster's nodes or ({@code sharded}) a sharded store's controller. */
    public RaftkvTarget(List<HostPort> addresses, boolean sharded, ClientOptions options) {
        this.clerk = sharded ? ShardedClerk.connect(addresses, options) : Clerk.connect(addresses, options);
        this.endpoints = (sharded ? "controller " : "")
                + addresses.stream().map(HostPort::toString).collect(Collectors.joining(","));
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
