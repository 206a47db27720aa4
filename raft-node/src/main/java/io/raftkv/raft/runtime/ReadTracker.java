package io.raftkv.raft.runtime;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Read barriers waiting for the core to confirm leadership. All barriers requested in one turn of the event loop share
 * one ReadIndex request (one heartbeat round answers them all). A request the core may have lost is asked again after
 * a while under a new context; one that is not confirmed in time fails. Owned by the {@link CoreDriver}.
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

    private final Map<ByteString, Group> waiting = new LinkedHashMap<>();

    void add(ByteString context, Group group) {
        waiting.put(context, group);
    }

    /** The group a read state answers, or null (already answered, retried under another context, or failed). */
    Group take(ByteString context) {
        return waiting.remove(context);
    }

    boolean isEmpty() {
        return waiting.isEmpty();
    }

    void failAll(Supplier<? extends Throwable> error) {
        if (waiting.isEmpty()) {
            return;
        }
        Throwable e = error.get();
        for (Group g : waiting.values()) {
            g.fail(e);
        }
        waiting.clear();
    }

    /** Removes and returns the groups asked before {@code askedBefore}, for the caller to retry or fail. */
    List<Group> takeStale(long askedBefore) {
        List<Group> stale = new ArrayList<>();
        for (Iterator<Group> it = waiting.values().iterator(); it.hasNext(); ) {
            Group g = it.next();
            if (g.askedNanos - askedBefore < 0) {
                stale.add(g);
                it.remove();
            }
        }
        return stale;
    }
}
