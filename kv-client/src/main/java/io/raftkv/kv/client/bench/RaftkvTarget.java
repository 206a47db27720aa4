package io.raftkv.kv.client.bench;

import io.raftkv.common.cli.HostPort;
import io.raftkv.kv.client.Clerk;
import io.raftkv.common.client.ClientOptions;
import io.raftkv.kv.client.KvInvalidArgumentException;
import io.raftkv.kv.client.KvUnavailableException;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A raftkv cluster through one {@link Clerk}: one channel per node, and one client session per concurrent caller
 * (the Clerk's session pool), so every load client is its own stream of exactly-once writes.
 */
public final class RaftkvTarget implements BenchTarget {
    private final Clerk clerk;
    private final String endpoints;

    public RaftkvTarget(List<HostPort> cluster, ClientOptions options) {
        this.clerk = Clerk.connect(cluster, options);
        this.endpoints = cluster.stream().map(HostPort::toString).collect(Collectors.joining(","));
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
