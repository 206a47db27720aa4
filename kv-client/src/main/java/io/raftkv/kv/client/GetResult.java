package io.raftkv.kv.client;

import java.nio.charset.StandardCharsets;

/** What a read found: the key's value, or that the key does not exist. */
public sealed interface GetResult permits GetResult.Found, GetResult.NotFound {

    /** The key exists with {@code value}. */
    record Found(byte[] value) implements GetResult {
        /** The value decoded as UTF-8. */
        public String text() {
            return new String(value, StandardCharsets.UTF_8);
        }
    }

    /** The key does not exist. */
    record NotFound() implements GetResult {}

    default boolean found() {
        return this instanceof Found;
    }
}
