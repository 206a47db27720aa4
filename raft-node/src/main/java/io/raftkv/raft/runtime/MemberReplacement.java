package io.raftkv.raft.runtime;

import io.raftkv.common.cli.HostPort;
import io.raftkv.raft.api.MembershipChangeRefusedException;
import io.raftkv.raft.core.Membership;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * Replaces one member with a new node as three single-server changes: add the new node as a learner, promote it once
 * its log is within the promotion bound, then remove the old member. The group never has fewer voters than before, and
 * each step leaves a valid membership: a replacement that fails part-way can be finished, or undone, step by step.
 */
final class MemberReplacement {
    /** How often a promotion the leader refused (the learner still catching up) is asked again. */
    private static final long PROMOTION_RETRY_MILLIS = 100;

    private MemberReplacement() {}

    static CompletableFuture<Membership> run(RaftNode node, String oldId, String newId, HostPort address,
            Duration catchUp) {
        Membership now = node.configuration();
        if (now != null && !now.isMember(oldId)) {
            return CompletableFuture.failedFuture(new IllegalArgumentException(oldId + " is not a member"));
        }
        long deadline = System.nanoTime() + catchUp.toNanos();
        return node.addLearner(newId, address)
                .thenCompose(added -> promoteOnceCaughtUp(node, newId, deadline))
                .thenCompose(promoted -> node.remove(oldId));
    }

    /** Asks for the promotion until the leader takes it or {@code deadline} passes (then fails with its reason). */
    private static CompletableFuture<Membership> promoteOnceCaughtUp(RaftNode node, String id, long deadline) {
        return node.promote(id).handle((membership, error) -> {
            if (error == null) {
                return CompletableFuture.completedFuture(membership);
            }
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause()
                    : error;
            if (cause instanceof MembershipChangeRefusedException && System.nanoTime() - deadline < 0) {
                Executor later = CompletableFuture.delayedExecutor(PROMOTION_RETRY_MILLIS, TimeUnit.MILLISECONDS);
                return CompletableFuture.runAsync(() -> { }, later)
                        .thenCompose(ignored -> promoteOnceCaughtUp(node, id, deadline));
            }
            return CompletableFuture.<Membership>failedFuture(cause);
        }).thenCompose(next -> next);
    }
}
