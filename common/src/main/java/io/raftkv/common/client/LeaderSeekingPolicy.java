package io.raftkv.common.client;

import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;

/**
 * The decisions of one call's retry loop, without the calling: which node to try next, whether a leader hint is
 * followed, how long to pause after a round in which no node could serve, and when to give up.
 * {@link LeaderSeekingClient} drives it with real calls and sleeps; the simulator's clerk drives the same policy in
 * virtual time, so what the simulation checks is the client's real behaviour. Pure: time is passed in, randomness is
 * injected, nothing blocks. Not thread-safe: one call owns one policy.
 */
public final class LeaderSeekingPolicy {
    private static final long REFUSED_ROUND_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    /** What to do next. */
    public sealed interface Next {
        /** Pause {@code pauseNanos} (0: none), then call node {@code target}; {@code newRound} after a failed round. */
        record Attempt(int target, long pauseNanos, boolean newRound) implements Next {}

        /** Stop: every node refused the connection in two rounds in a row (only with fail-fast options). */
        record GiveUp() implements Next {}
    }

    private final ClientOptions options;
    private final RandomGenerator random;
    private final long deadlineNanos;
    private int nodes;
    private int target;
    private long backoffNanos;
    private int failuresThisRound;
    private int hintsFollowed;
    private boolean allRefusedThisRound = true;
    private int refusedRounds;

    /**
     * A call to a group of {@code nodes} nodes that starts at {@code firstTarget} (the node that last served) at
     * {@code nowNanos}.
     */
    public LeaderSeekingPolicy(int nodes, int firstTarget, ClientOptions options, long nowNanos,
            RandomGenerator random) {
        if (nodes < 1) {
            throw new IllegalArgumentException("a call needs at least one node");
        }
        this.nodes = nodes;
        this.target = Math.floorMod(firstTarget, nodes);
        this.options = options;
        this.random = random;
        this.deadlineNanos = nowNanos + options.timeout().toNanos();
        this.backoffNanos = options.initialBackoff().toNanos();
    }

    /** The node the next attempt goes to. */
    public int target() {
        return target;
    }

    /** How long the next attempt may take: the attempt timeout, cut to what is left of the call (≤ 0: time is up). */
    public long attemptNanos(long nowNanos) {
        long remaining = deadlineNanos - nowNanos;
        return remaining <= 0 ? remaining : Math.min(options.attemptTimeout().toNanos(), remaining);
    }

    /** The attempt got no answer: the connection failed or was refused, or the attempt timed out. */
    public Next failed(boolean connectionRefused, long nowNanos) {
        allRefusedThisRound &= connectionRefused;
        return nextNode(nowNanos);
    }

    /**
     * The node answered that it does not lead; {@code hinted} is the node its hint names, or -1 if the hint names
     * none this client knows. A hint is followed at most once per node per round; a node that names itself still
     * leads but lost the entry to a new term, so it gets a moment before it is asked again.
     */
    public Next notLeader(int hinted, long nowNanos) {
        allRefusedThisRound = false;
        if (hinted >= 0 && hinted < nodes && hintsFollowed < nodes) {
            hintsFollowed++;
            long pause = hinted == target ? jittered(options.initialBackoff().toNanos(), nowNanos) : 0;
            target = hinted;
            return new Next.Attempt(target, pause, false);
        }
        return nextNode(nowNanos);
    }

    /** The node answered but could not serve the call (it timed out inside, or said something unknown). */
    public Next couldNotServe(long nowNanos) {
        allRefusedThisRound = false;
        return nextNode(nowNanos);
    }

    /**
     * The next pause of the backoff sequence (jittered, doubled each time up to the maximum, never past the
     * deadline): for a caller that must wait for something other than a leader, such as a shard's new group.
     */
    public long backoffPause(long nowNanos) {
        long pause = jittered(backoffNanos, nowNanos);
        backoffNanos = Math.min(backoffNanos * 2, options.maxBackoff().toNanos());
        return pause;
    }

    /** The call goes on at another group of {@code nodes} nodes, starting at {@code firstTarget}, in a fresh round. */
    public void moveTo(int nodes, int firstTarget) {
        if (nodes < 1) {
            throw new IllegalArgumentException("a call needs at least one node");
        }
        this.nodes = nodes;
        this.target = Math.floorMod(firstTarget, nodes);
        failuresThisRound = 0;
        hintsFollowed = 0;
        allRefusedThisRound = true;
    }

    private Next nextNode(long nowNanos) {
        target = (target + 1) % nodes;
        if (++failuresThisRound < nodes) {
            return new Next.Attempt(target, 0, false);
        }
        // No node could serve in a whole round: an election, a partition or a restart. Wait a little.
        refusedRounds = allRefusedThisRound ? refusedRounds + 1 : 0;
        boolean failFast = options.failFastWhenAllRefuse();
        if (refusedRounds >= 2 && failFast) {
            return new Next.GiveUp();
        }
        long pause;
        if (refusedRounds == 1 && failFast) {
            // Before the second round of refusals that would end the call, a longer pause: a node may be restarting.
            pause = jittered(Math.max(backoffNanos, REFUSED_ROUND_PAUSE_NANOS), nowNanos);
            backoffNanos = Math.min(backoffNanos * 2, options.maxBackoff().toNanos());
        } else {
            pause = backoffPause(nowNanos);
        }
        failuresThisRound = 0;
        hintsFollowed = 0;
        allRefusedThisRound = true;
        return new Next.Attempt(target, pause, true);
    }

    /** {@code nanos} plus up to half again at random, cut to the time left (0 when none is). */
    private long jittered(long nanos, long nowNanos) {
        long pause = nanos + random.nextLong(Math.max(1, nanos / 2));
        return Math.max(0, Math.min(pause, deadlineNanos - nowNanos));
    }
}
