package io.raftkv.common.client;

/** The cluster rejected the request as malformed or over a limit; retrying it will not help. */
public final class RequestRejectedException extends RuntimeException {
    public RequestRejectedException(String message) {
        super(message);
    }
}
