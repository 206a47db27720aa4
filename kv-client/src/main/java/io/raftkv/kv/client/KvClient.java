package io.raftkv.kv.client;

import java.nio.charset.StandardCharsets;

/**
 * What a program does with a raftkv store, sharded ({@link ShardedClerk}) or not ({@link Clerk}): linearizable
 * reads, exactly-once writes. Failures are {@link KvUnavailableException} (no answer in time; a write's outcome is
 * then unknown) and {@link KvInvalidArgumentException} (the store refused the request). Thread-safe.
 */
public interface KvClient extends AutoCloseable {

    /** Reads {@code key} (linearizable). */
    GetResult get(byte[] key);

    /** Sets {@code key} to {@code value}. */
    void put(byte[] key, byte[] value);

    /** Appends {@code value} to the value of {@code key} (an absent key counts as empty). */
    void append(byte[] key, byte[] value);

    /** Deletes {@code key}; returns whether it existed. */
    boolean delete(byte[] key);

    @Override
    void close();

    default GetResult get(String key) {
        return get(utf8(key));
    }

    default void put(String key, String value) {
        put(utf8(key), utf8(value));
    }

    default void append(String key, String value) {
        append(utf8(key), utf8(value));
    }

    default boolean delete(String key) {
        return delete(utf8(key));
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
