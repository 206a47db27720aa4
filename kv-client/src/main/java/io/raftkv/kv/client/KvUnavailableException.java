package io.raftkv.kv.client;

/**
 * No leader answered before the deadline: the cluster is down, partitioned, electing, or too slow. For a write the
 * outcome is unknown: it may have been applied (once) or not at all.
 */
public final class KvUnavailableException extends KvException {
    public KvUnavailableException(String message) {
        super(message);
    }
}
