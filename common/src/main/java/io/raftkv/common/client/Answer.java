package io.raftkv.common.client;

import io.raftkv.proto.service.ErrorCode;
import io.raftkv.proto.service.LeaderHint;

/**
 * One node's answer to one attempt, reduced to what {@link LeaderSeekingClient}'s retry loop needs: the shared
 * outcome code, the service's own result, and who the node is and believes leads.
 *
 * @param code the outcome; NOT_LEADER, TIMEOUT and unknown codes are retried, INVALID_ARGUMENT is final and thrown,
 *     any other code ends the call and returns {@code value}
 * @param value what the call returns when the code ends it
 * @param message the node's explanation, shown when the call fails
 * @param hint whom the node believes leads, or null when the reply carried none
 * @param nodeId the answering node's id (empty if it did not say), so hints by id can be followed
 */
public record Answer<R>(ErrorCode code, R value, String message, LeaderHint hint, String nodeId) {

    /** The answer of a reply whose leader field may be unset ({@code hasHint} false). */
    public static <R> Answer<R> of(ErrorCode code, R value, String message, boolean hasHint, LeaderHint hint,
            String nodeId) {
        return new Answer<>(code, value, message, hasHint ? hint : null, nodeId);
    }

    boolean retryable() {
        return switch (code) {
            case NOT_LEADER, TIMEOUT, ERROR_CODE_UNSPECIFIED, UNRECOGNIZED -> true;
            default -> false;
        };
    }
}
