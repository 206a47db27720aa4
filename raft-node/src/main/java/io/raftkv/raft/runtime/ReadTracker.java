package io.raftkv.raft.runtime;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.raftkv.common.cli.DurationConverter;
import io.raftkv.raft.api.NotLeaderException;
import io.raftkv.raft.core.RawNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Read barriers, from the request to the core's confirmation of leadership. All barriers requested in one turn of the
 * event loop share one ReadIndex request (one heartbeat round answers them all). A request the core may have lost is
 * asked again after a while under a new context; one that is not confirmed in time fails. Owned by the
 * {@link CoreDriver}, on its thread.
 */
final class ReadTracker {
    /** Barriers sharing one ReadIndex context. */
    static final class Group {
        final List<CompletableFuture<Void>> futures;
        final long startNanos;
        long askedNanos;

        Group(List<CompletableFuture<Void>> futures, long startNanos, long askedNanos) {
            this.futures = futures;
            this.startNanos = startNanos;
            this.askedNanos = askedNanos;
        }

        void fail(Throwable error) {
            for (CompletableFuture<Void> f : futures) {
                f.completeExceptionally(error);
            }
        }
    }

    private final RawNode raw;
    private final Function<String, NotLeaderException> notLeader;
    /**
     * Read contexts are this incarnation's nonce and a counter: a ReadIndex answer to an earlier incarnation of the
     * node (still in flight when it restarted) must never be taken for one of this incarnation's reads, whose
     * counter starts again from zero; it would confirm the new read at an old index.
     */
    private final long nonce;
    private long counter;
    /** Barriers asked since the last turn started them. */
    private final List<Events.Read> asked = new ArrayList<>();
    private final Map<ByteString, Group> waiting = new LinkedHashMap<>();

    /**
     * @param nonce a number drawn at random for this incarnation of the node
     * @param notLeader the failure for a barrier that cannot be confirmed here, given the leader this node knows of
     */
    ReadTracker(RawNode raw, long nonce, Function<String, NotLeaderException> notLeader) {
        this.raw = raw;
        this.nonce = nonce;
        this.notLeader = notLeader;
    }

    /** A read barrier; every barrier asked before the next {@link #startAsked} shares one ReadIndex request. */
    void ask(Events.Read read) {
        asked.add(read);
    }

    /** Starts one ReadIndex request for every barrier asked since the last call. */
    void startAsked(LongSupplier clock) {
        if (asked.isEmpty()) {
            return; // the common turn: no clock read
        }
        long now = clock.getAsLong();
        List<CompletableFuture<Void>> futures = new ArrayList<>(asked.size());
        for (Events.Read r : asked) {
            futures.add(r.future());
        }
        long start = asked.get(0).startNanos();
        asked.clear();
        request(new Group(futures, start, now), now);
    }

    /**
     * Asks again, under a new context, for the groups asked more than {@code retryNanos} ago (the request or its answer
     * may have been lost), and fails those waiting longer than {@code timeoutNanos}.
     */
    void retryOrExpire(long now, long retryNanos, long timeoutNanos) {
        if (waiting.isEmpty()) {
            return;
        }
        List<Group> stale = new ArrayList<>();
        for (Iterator<Group> it = waiting.values().iterator(); it.hasNext(); ) {
            Group g = it.next();
            if (g.askedNanos - (now - retryNanos) < 0) {
                stale.add(g);
                it.remove();
            }
        }
        for (Group g : stale) {
            if (now - g.startNanos > timeoutNanos) {
                g.fail(new TimeoutException("the read barrier was not confirmed within "
                        + DurationConverter.text(Duration.ofNanos(timeoutNanos))));
            } else {
                request(g, now);
            }
        }
    }

    /** The group a read state answers, or null (already answered, retried under another context, or failed). */
    Group take(ByteString context) {
        return waiting.remove(context);
    }

    /** Fails every barrier waiting for confirmation (leadership moved, or the node stops). */
    void failWaiting(Supplier<? extends Throwable> error) {
        if (waiting.isEmpty()) {
            return;
        }
        Throwable e = error.get();
        for (Group g : waiting.values()) {
            g.fail(e);
        }
        waiting.clear();
    }

    /** Fails every barrier, the ones not started yet too: the node stops. */
    void failAll(Throwable error) {
        failWaiting(() -> error);
        for (Events.Read r : asked) {
            r.future().completeExceptionally(error);
        }
        asked.clear();
    }

    private void request(Group group, long now) {
        ByteString context = nextContext();
        group.askedNanos = now;
        if (raw.readIndex(context)) {
            waiting.put(context, group);
        } else {
            group.fail(notLeader.apply(raw.leader()));
        }
    }

    private ByteString nextContext() {
        byte[] bytes = new byte[16];
        putLong(bytes, 0, nonce);
        putLong(bytes, 8, ++counter);
        return UnsafeByteOperations.unsafeWrap(bytes);
    }

    private static void putLong(byte[] bytes, int offset, long value) {
        for (int i = offset + 7; i >= offset; i--) {
            bytes[i] = (byte) value;
            value >>>= 8;
        }
    }
}
