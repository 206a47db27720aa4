package io.raftkv.testkit.linearizability;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Decides whether a recorded concurrent history is linearizable with respect to a {@link Model}.
 *
 * <p>The search is Wing and Gong's, with Lowe's memoization of (set of linearized operations, state) pairs, as in
 * Porcupine: walk the history's call/return entries in time order; at a call, try to linearize that operation now
 * (step the model, remove its entries, restart from the front); at a return whose operation is not yet linearized,
 * backtrack. A configuration already seen is never explored twice. Operations with different
 * {@link Model#partitionKey partition keys} are checked independently, in parallel.
 *
 * <p>Operations with unknown outcome return at infinity; unknown read-only operations are dropped. The search is
 * exponential in the worst case, so it runs under a time budget (and a cap on memoized configurations) and answers
 * {@link CheckResult.Verdict#UNKNOWN} when either runs out.
 */
public final class LinearizabilityChecker {
    private static final int MAX_LISTED = 10;
    /** Memoized configurations one partition may keep (about 100 bytes each) before the search gives up. */
    private static final int MAX_CONFIGURATIONS = 4_000_000;

    private LinearizabilityChecker() {}

    /** Checks {@code history} with a one-minute budget. */
    public static <S, I, O> CheckResult check(Model<S, I, O> model, List<Operation<I, O>> history) {
        return check(model, history, Duration.ofMinutes(1));
    }

    /** Checks {@code history}, giving up with UNKNOWN once {@code budget} has passed. */
    public static <S, I, O> CheckResult check(Model<S, I, O> model, List<Operation<I, O>> history, Duration budget) {
        return check(model, history, budget, MAX_CONFIGURATIONS);
    }

    /**
     * Checks {@code history} within {@code budget}, keeping at most {@code maxConfigurations} memoized configurations
     * per partition (about 100 bytes each; the default is 4 million) before giving up with UNKNOWN.
     */
    public static <S, I, O> CheckResult check(Model<S, I, O> model, List<Operation<I, O>> history, Duration budget,
            int maxConfigurations) {
        long start = System.nanoTime();
        long deadline = start + Math.min(budget.toNanos(), Long.MAX_VALUE / 4);
        Map<Object, List<Operation<I, O>>> partitions = new LinkedHashMap<>();
        int kept = 0;
        long origin = Long.MAX_VALUE;
        for (Operation<I, O> op : history) {
            origin = Math.min(origin, op.callTime());
            if (!op.outcomeKnown() && model.isReadOnly(op.input())) {
                continue;
            }
            partitions.computeIfAbsent(model.partitionKey(op.input()), k -> new ArrayList<>()).add(op);
            kept++;
        }
        AtomicBoolean stop = new AtomicBoolean();
        List<PartitionSearch<S, I, O>> searches = new ArrayList<>();
        for (Map.Entry<Object, List<Operation<I, O>>> partition : partitions.entrySet()) {
            searches.add(new PartitionSearch<>(model, partition.getKey(), partition.getValue(), origin, deadline,
                    maxConfigurations, stop));
        }
        runAll(searches);

        List<String> violations = new ArrayList<>();
        boolean unfinished = false;
        boolean outOfMemoryBudget = false;
        for (PartitionSearch<S, I, O> search : searches) {
            switch (search.outcome) {
                case ILLEGAL -> violations.add(search.explanation);
                case STOPPED -> unfinished = true;
                case TOO_BIG -> {
                    unfinished = true;
                    outOfMemoryBudget = true;
                }
                case LINEARIZABLE -> { }
            }
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        if (!violations.isEmpty()) {
            return new CheckResult(CheckResult.Verdict.NOT_LINEARIZABLE, String.join("\n\n", violations), kept,
                    partitions.size(), elapsed);
        }
        if (unfinished) {
            String why = outOfMemoryBudget
                    ? "the search explored " + maxConfigurations + " configurations of one key without an answer"
                    : "the search did not finish within " + budget;
            return new CheckResult(CheckResult.Verdict.UNKNOWN, why + "; the history may or may not be linearizable",
                    kept, partitions.size(), elapsed);
        }
        return new CheckResult(CheckResult.Verdict.LINEARIZABLE, "", kept, partitions.size(), elapsed);
    }

    private static <S, I, O> void runAll(List<PartitionSearch<S, I, O>> searches) {
        int threads = Math.min(searches.size(), Runtime.getRuntime().availableProcessors());
        if (threads <= 1) {
            searches.forEach(PartitionSearch::run);
            return;
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads, runnable -> {
            Thread thread = new Thread(runnable, "linearizability-check");
            thread.setDaemon(true);
            return thread;
        });
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (PartitionSearch<S, I, O> search : searches) {
                futures.add(pool.submit(search::run));
            }
            for (Future<?> future : futures) {
                future.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checking a history", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("the model failed while checking a history", e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    private enum Outcome { LINEARIZABLE, ILLEGAL, STOPPED, TOO_BIG }

    /** The search over one partition: a doubly linked list of entries, lifted and restored as the search goes. */
    private static final class PartitionSearch<S, I, O> {
        private static final int NIL = -1;
        private static final int HEAD = 0;

        private final Model<S, I, O> model;
        private final Object key;
        private final List<Operation<I, O>> ops;
        private final long origin;
        private final long deadline;
        private final int maxConfigurations;
        private final AtomicBoolean stop;

        Outcome outcome = Outcome.STOPPED;
        String explanation = "";

        PartitionSearch(Model<S, I, O> model, Object key, List<Operation<I, O>> ops, long origin, long deadline,
                int maxConfigurations, AtomicBoolean stop) {
            this.model = model;
            this.key = key;
            this.ops = ops;
            this.origin = origin;
            this.deadline = deadline;
            this.maxConfigurations = maxConfigurations;
            this.stop = stop;
        }

        void run() {
            int n = ops.size();
            // Entries in time order: node 0 is the head; at equal times calls come first (treated as concurrent).
            Integer[] order = new Integer[2 * n];
            for (int i = 0; i < 2 * n; i++) {
                order[i] = i;
            }
            java.util.Arrays.sort(order, Comparator
                    .comparingLong((Integer e) -> entryTime(e))
                    .thenComparingInt(e -> e % 2));
            int nodes = 2 * n + 1;
            int[] next = new int[nodes];
            int[] prev = new int[nodes];
            int[] opOf = new int[nodes];
            boolean[] isCall = new boolean[nodes];
            int[] match = new int[nodes];
            int[] returnNodeOf = new int[n];
            for (int position = 0; position < 2 * n; position++) {
                int node = position + 1;
                int entry = order[position];
                opOf[node] = entry / 2;
                isCall[node] = entry % 2 == 0;
                if (!isCall[node]) {
                    returnNodeOf[entry / 2] = node;
                }
            }
            for (int node = 1; node < nodes; node++) {
                if (isCall[node]) {
                    match[node] = returnNodeOf[opOf[node]];
                }
            }
            for (int node = 0; node < nodes; node++) {
                next[node] = node + 1 < nodes ? node + 1 : NIL;
                prev[node] = node - 1;
            }

            // The set of linearized operations is memoized by a 128-bit Zobrist fingerprint (XOR of random keys of
            // its members) rather than a copy of the set: a copy costs n/8 bytes per entry, and searches keep
            // millions. Two different sets share a fingerprint with probability 2^-128, never in practice.
            long[] zobristLow = new long[n];
            long[] zobristHigh = new long[n];
            java.util.SplittableRandom random = new java.util.SplittableRandom(0x5eed);
            for (int i = 0; i < n; i++) {
                zobristLow[i] = random.nextLong();
                zobristHigh[i] = random.nextLong();
            }
            long fingerprintLow = 0;
            long fingerprintHigh = 0;
            java.util.HashSet<CacheKey> cache = new java.util.HashSet<>();

            int[] stackNode = new int[n];
            Object[] stackState = new Object[n];
            int depth = 0;

            int deepest = 0;
            boolean deepestUnrecorded = false;
            int[] deepestOps = new int[0];
            Object deepestState = model.init();

            Object state = model.init();
            int entry = next[HEAD];
            long steps = 0;
            while (next[HEAD] != NIL) {
                if ((++steps & 1023) == 0 && (stop.get() || System.nanoTime() > deadline)) {
                    outcome = Outcome.STOPPED;
                    return;
                }
                if (isCall[entry]) {
                    int op = opOf[entry];
                    Operation<I, O> operation = ops.get(op);
                    @SuppressWarnings("unchecked")
                    S newState = model.step((S) state, operation.input(), operation.output());
                    if (newState != null) {
                        long low = fingerprintLow ^ zobristLow[op];
                        long high = fingerprintHigh ^ zobristHigh[op];
                        if (cache.add(new CacheKey(low, high, newState))) {
                            if (cache.size() > maxConfigurations) {
                                outcome = Outcome.TOO_BIG;
                                return;
                            }
                            fingerprintLow = low;
                            fingerprintHigh = high;
                            stackNode[depth] = entry;
                            stackState[depth] = state;
                            depth++;
                            if (depth > deepest) {
                                deepest = depth;
                                deepestUnrecorded = true;
                            }
                            state = newState;
                            lift(entry, match[entry], next, prev);
                            entry = next[HEAD];
                            continue;
                        }
                    }
                    entry = next[entry];
                } else {
                    // A return of an operation not yet linearized: everything before it has been tried.
                    if (deepestUnrecorded) {
                        deepestOps = new int[depth];
                        for (int i = 0; i < depth; i++) {
                            deepestOps[i] = opOf[stackNode[i]];
                        }
                        deepestState = state;
                        deepestUnrecorded = false;
                    }
                    if (depth == 0) {
                        outcome = Outcome.ILLEGAL;
                        explanation = explain(deepestOps, deepestState);
                        stop.set(true);
                        return;
                    }
                    depth--;
                    entry = stackNode[depth];
                    state = stackState[depth];
                    stackState[depth] = null;
                    int op = opOf[entry];
                    fingerprintLow ^= zobristLow[op];
                    fingerprintHigh ^= zobristHigh[op];
                    unlift(entry, match[entry], next, prev);
                    entry = next[entry];
                }
            }
            outcome = Outcome.LINEARIZABLE;
        }

        private long entryTime(int entry) {
            Operation<I, O> op = ops.get(entry / 2);
            return entry % 2 == 0 ? op.callTime() : op.returnTime();
        }

        private static void lift(int call, int ret, int[] next, int[] prev) {
            next[prev[call]] = next[call];
            prev[next[call]] = prev[call];
            next[prev[ret]] = next[ret];
            if (next[ret] != NIL) {
                prev[next[ret]] = prev[ret];
            }
        }

        private static void unlift(int call, int ret, int[] next, int[] prev) {
            next[prev[ret]] = ret;
            if (next[ret] != NIL) {
                prev[next[ret]] = ret;
            }
            next[prev[call]] = call;
            prev[next[call]] = call;
        }

        /** Says which prefix could be linearized and why none of the operations that could come next fits. */
        private String explain(int[] prefix, Object stateAfterPrefix) {
            StringBuilder text = new StringBuilder();
            text.append("not linearizable").append(key == null ? "" : " for key " + quote(key))
                    .append(" (").append(ops.size()).append(" operations on it)\n");
            text.append("the longest order that fits the model covers ").append(prefix.length).append(" of them");
            if (prefix.length > 0) {
                int from = Math.max(0, prefix.length - MAX_LISTED);
                text.append(from > 0 ? "; its last " + (prefix.length - from) + ":" : ":").append('\n');
                for (int i = from; i < prefix.length; i++) {
                    text.append("  ").append(describe(ops.get(prefix[i]))).append('\n');
                }
            } else {
                text.append('\n');
            }
            @SuppressWarnings("unchecked")
            S state = (S) stateAfterPrefix;
            text.append("state after it: ").append(model.describeState(state)).append('\n');

            boolean[] done = new boolean[ops.size()];
            for (int op : prefix) {
                done[op] = true;
            }
            int blocker = -1;
            for (int i = 0; i < ops.size(); i++) {
                if (!done[i] && (blocker < 0 || ops.get(i).returnTime() < ops.get(blocker).returnTime())) {
                    blocker = i;
                }
            }
            List<Integer> candidates = new ArrayList<>();
            for (int i = 0; i < ops.size(); i++) {
                if (!done[i] && ops.get(i).callTime() <= ops.get(blocker).returnTime()) {
                    candidates.add(i);
                }
            }
            candidates.sort(Comparator.comparingLong(i -> ops.get(i).callTime()));
            text.append("none of the operations that could come next fits (")
                    .append(describe(ops.get(blocker))).append(" had to take effect before it returned):\n");
            for (int i = 0; i < Math.min(candidates.size(), MAX_LISTED); i++) {
                Operation<I, O> op = ops.get(candidates.get(i));
                boolean legalHere = model.step(state, op.input(), op.output()) != null;
                text.append("  ").append(describe(op)).append(legalHere
                        ? "   (fits here, but no order of the rest follows)"
                        : "   (impossible in this state)").append('\n');
            }
            if (candidates.size() > MAX_LISTED) {
                text.append("  ... and ").append(candidates.size() - MAX_LISTED).append(" more\n");
            }
            return text.toString().stripTrailing();
        }

        private String describe(Operation<I, O> op) {
            return "client " + op.clientId() + ": " + model.describe(op.input(), op.output()) + "  [" + millis(
                    op.callTime()) + " .. " + (op.outcomeKnown() ? millis(op.returnTime()) : "never returned") + "]";
        }

        private String millis(long time) {
            return String.format("%.3f ms", (time - origin) / 1e6);
        }

        private static String quote(Object key) {
            return key instanceof String s ? '"' + s + '"' : String.valueOf(key);
        }
    }

    /** A memoized configuration: which operations are linearized (as a fingerprint), and the state they lead to. */
    private record CacheKey(long low, long high, Object state) {}
}
