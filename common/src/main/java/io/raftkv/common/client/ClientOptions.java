package io.raftkv.common.client;

import java.time.Duration;

/**
 * How a {@link LeaderSeekingClient} retries.
 *
 * @param timeout how long one operation may take, retries included, before it fails as unavailable; keep it well
 *     under the servers' session TTL (one hour by default), or a write retried past it could apply twice
 * @param attemptTimeout how long one request to one node may take before the next node is tried
 * @param initialBackoff the pause after a round in which no node could serve, doubled each round up to
 *     {@code maxBackoff}
 * @param maxInboundMessageBytes the largest reply accepted (values can grow by appends past the request limit)
 * @param failFastWhenAllRefuse give up at once, before the timeout, when every node refuses the connection in two
 *     rounds in a row: right for a command-line tool facing a stopped cluster, wrong for a long-lived client that
 *     should ride out a whole-cluster restart
 */
public record ClientOptions(Duration timeout, Duration attemptTimeout, Duration initialBackoff, Duration maxBackoff,
        int maxInboundMessageBytes, boolean failFastWhenAllRefuse) {

    public static final ClientOptions DEFAULT = new ClientOptions(Duration.ofSeconds(10), Duration.ofSeconds(1),
            Duration.ofMillis(20), Duration.ofMillis(500), 32 * 1024 * 1024, false);

    public ClientOptions {
        requirePositive(timeout, "timeout");
        requirePositive(attemptTimeout, "attempt timeout");
        requirePositive(initialBackoff, "initial backoff");
        requirePositive(maxBackoff, "max backoff");
        if (maxInboundMessageBytes < 1024) {
            throw new IllegalArgumentException("the reply size limit is too small: " + maxInboundMessageBytes);
        }
    }

    public ClientOptions withTimeout(Duration value) {
        return new ClientOptions(value, attemptTimeout, initialBackoff, maxBackoff, maxInboundMessageBytes,
                failFastWhenAllRefuse);
    }

    public ClientOptions withAttemptTimeout(Duration value) {
        return new ClientOptions(timeout, value, initialBackoff, maxBackoff, maxInboundMessageBytes,
                failFastWhenAllRefuse);
    }

    public ClientOptions withBackoff(Duration initial, Duration max) {
        return new ClientOptions(timeout, attemptTimeout, initial, max, maxInboundMessageBytes, failFastWhenAllRefuse);
    }

    /** These options, giving up early when every node refuses connections (see {@code failFastWhenAllRefuse}). */
    public ClientOptions failingFastWhenAllRefuse() {
        return new ClientOptions(timeout, attemptTimeout, initialBackoff, maxBackoff, maxInboundMessageBytes, true);
    }

    private static void requirePositive(Duration value, String what) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException("the " + what + " must be positive, not " + value);
        }
    }
}
