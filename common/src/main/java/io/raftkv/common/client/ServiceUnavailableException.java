package io.raftkv.common.client;

/**
 * No leader answered before the deadline: the cluster is down, partitioned, electing, or too slow. For a write the
 * outcome is unknown: it may have been applied (once) or not at all.
 */
public final class ServiceUnavailableException extends RuntimeException {
    public ServiceUnavailableException(String message) {
        super(message);
    }
}
