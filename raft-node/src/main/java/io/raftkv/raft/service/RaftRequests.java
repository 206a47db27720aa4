package io.raftkv.raft.service;

import io.raftkv.common.cli.DurationConverter;
import io.grpc.Context;
import io.grpc.Deadline;
import io.raftkv.proto.service.ErrorCode;
import io.raftkv.proto.service.LeaderHint;
import io.raftkv.raft.api.NodeStatus;
import io.raftkv.raft.api.NotLeaderException;
import io.raftkv.raft.api.Proposal;
import io.raftkv.raft.api.ProposalLostException;
import io.raftkv.raft.api.RaftService;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

/**
 * Propose-and-wait for the request handlers of any Raft-replicated service, and the one place that says what Raft's
 * failures mean for a client.
 *
 * <ul>
 *   <li>{@link #propose}: proposes a command and completes with the state machine's reply once this node has applied
 *       it at its own (index, term); if another entry lands there or the term moves on, the proposal is lost.
 *   <li>{@link #read}: waits for a ReadIndex barrier, then reads the local state: linearizable, without a log write.
 *   <li>{@link #failure}: maps a failed future to the service's {@link ErrorCode} with a {@link LeaderHint}:
 *       not leader and lost proposals become NOT_LEADER (retry elsewhere, with the same client id and sequence),
 *       a wait past the request timeout becomes TIMEOUT.
 * </ul>
 *
 * Each wait is bounded by the request timeout, or by the caller's gRPC deadline if that is sooner (less a margin, so
 * that the TIMEOUT answer reaches the client before it gives up). Call {@link #propose} and {@link #read} on the
 * gRPC thread that received the request: that is where the deadline is known. Nothing here blocks.
 */
public final class RaftRequests {
    /** Time kept back from the client's deadline, so the TIMEOUT answer reaches it before it gives up. */
    private static final long DEADLINE_MARGIN_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final RaftService raft;
    private final Duration requestTimeout;

    /** What a failed request means for the client. {@code hint} is null when there is no leader to point at. */
    public record Failure(ErrorCode code, String message, LeaderHint hint) {}

    /** A wait that ran out: {@link #failure} answers it TIMEOUT with this message. */
    private static final class RequestTimeoutException extends RuntimeException {
        RequestTimeoutException(String message) {
            super(message, null, false, false);
        }
    }

    /** @param requestTimeout how long a request may wait for Raft before it is answered TIMEOUT */
    public RaftRequests(RaftService raft, Duration requestTimeout) {
        if (requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw new IllegalArgumentException("the request timeout must be positive, not " + requestTimeout);
        }
        this.raft = raft;
        this.requestTimeout = requestTimeout;
    }

    /** Proposes {@code command} and completes with the reply the state machine gave when this node applied it. */
    public CompletableFuture<byte[]> propose(byte[] command) {
        long timeout = timeoutNanos();
        return bounded(call(() -> raft.propose(command)).thenCompose(Proposal::applied), timeout,
                "the write did not complete within " + text(timeout)
                        + "; it may still be applied: retry it with the same sequence");
    }

    /** Waits until this node may serve a linearizable read, then runs {@code read} on {@code executor}. */
    public <T> CompletableFuture<T> read(Supplier<T> read, Executor executor) {
        long timeout = timeoutNanos();
        return bounded(call(raft::readBarrier), timeout,
                "the read did not complete within " + text(timeout))
                .thenApplyAsync(ignored -> read.get(), executor);
    }

    /** What {@code error} (from {@link #propose} or {@link #read}) means for the client; null for an internal failure. */
    public Failure failure(Throwable error) {
        Throwable cause = unwrap(error);
        if (cause instanceof NotLeaderException notLeader) {
            return new Failure(ErrorCode.NOT_LEADER, notLeader.getMessage(),
                    hint(notLeader.leaderId(), notLeader.leaderAddress()));
        }
        if (cause instanceof ProposalLostException lost) {
            return new Failure(ErrorCode.NOT_LEADER, lost.getMessage() + "; retry the write with the same sequence",
                    currentLeaderHint());
        }
        if (cause instanceof RequestTimeoutException timeout) {
            return new Failure(ErrorCode.TIMEOUT, timeout.getMessage(), null);
        }
        return null;
    }

    /** The innermost cause of a future's failure. */
    public static Throwable unwrap(Throwable error) {
        Throwable cause = error;
        while ((cause instanceof CompletionException || cause instanceof ExecutionException)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    private static <T> CompletableFuture<T> bounded(CompletableFuture<T> future, long timeoutNanos, String message) {
        return future.orTimeout(Math.max(timeoutNanos, 0), TimeUnit.NANOSECONDS)
                .exceptionallyCompose(error -> {
                    Throwable cause = unwrap(error);
                    return CompletableFuture.failedFuture(cause instanceof TimeoutException
                            ? new RequestTimeoutException(message) : cause);
                });
    }

    private LeaderHint currentLeaderHint() {
        try {
            NodeStatus status = raft.status();
            return hint(status.leaderId(), status.leaderAddress());
        } catch (RuntimeException e) {
            return hint("", "");
        }
    }

    private static LeaderHint hint(String leaderId, String leaderAddress) {
        return LeaderHint.newBuilder().setLeaderId(nullToEmpty(leaderId)).setLeaderAddress(nullToEmpty(leaderAddress))
                .build();
    }

    /** The time this request may wait: the configured timeout, or less if the client's deadline is sooner. */
    private long timeoutNanos() {
        long limit = requestTimeout.toNanos();
        Deadline deadline = Context.current().getDeadline();
        if (deadline != null) {
            long remaining = deadline.timeRemaining(TimeUnit.NANOSECONDS);
            limit = Math.min(limit, remaining - Math.min(DEADLINE_MARGIN_NANOS, remaining / 10));
        }
        return limit;
    }

    private static String text(long nanos) {
        return DurationConverter.text(Duration.ofNanos(Math.max(nanos, 0)));
    }

    private static <T> CompletableFuture<T> call(Supplier<CompletableFuture<T>> action) {
        try {
            return action.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private static String nullToEmpty(String text) {
        return text == null ? "" : text;
    }
}
