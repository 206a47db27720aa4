package io.raftkv.kv.client;

/** A KV request that did not succeed; the subclass says whether retrying later can help. */
public abstract sealed class KvException extends RuntimeException
        permits KvUnavailableException, KvInvalidArgumentException {
    KvException(String message) {
        super(message);
    }
}
