package io.raftkv.kv.client;

/** The cluster rejected the request as invalid (an empty key, a value over the limit): retrying will not help. */
public final class KvInvalidArgumentException extends KvException {
    public KvInvalidArgumentException(String message) {
        super(message);
    }
}
