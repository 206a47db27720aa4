package io.raftkv.raft.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.LongFunction;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Randomized runs with every fault mixed (see {@link ChaosRun}), checked for safety at every step and for liveness at
 * the end. The default build runs 500 seeds of 23,000 steps; {@code -Draftkv.sim.seed=N} re-runs one seed (for
 * example one a failure reported), {@code -Draftkv.sim.seeds} and {@code -Draftkv.sim.steps} change the amounts.
 */
class RandomizedSimulationTest {
    private static final long FIRST_SEED = Long.getLong("raftkv.sim.firstSeed", 1);

    @Test
    void manySeedsStaySafeAndLive() throws Exception {
        Long single = Long.getLong("raftkv.sim.seed");
        int seeds = Integer.getInteger("raftkv.sim.seeds", 500);
        long steps = Long.getLong("raftkv.sim.steps", 23_000);
        if (single != null) {
            ChaosRun.Result r = new ChaosRun(single, steps).run();
            System.out.println("seed " + single + ": " + r);
            return;
        }
        runSeeds(FIRST_SEED, seeds, steps, "randomized");
    }

    /**
     * Runs whose crashes are power losses: a node loses every write since its last fsync (or, every other seed, a
     * torn tail of them). Acknowledged writes were fsynced, so no committed entry may be lost.
     */
    @Test
    void powerLossRunsStaySafeAndLive() throws Exception {
        int seeds = Integer.getInteger("raftkv.sim.powerLossSeeds", 100);
        runSeeds(FIRST_SEED, seeds, 20_000, "power loss", Long.MAX_VALUE,
                seed -> seed % 2 == 0 ? CrashLoss.UNSYNCED_TAIL : CrashLoss.TORN_TAIL);
    }

    /**
     * Runs whose chaos also changes the membership (learners added, promoted and removed, voters removed) while it
     * crashes, partitions and reorders: one leader per term and no committed entry lost, whatever the membership.
     */
    @Test
    void membershipChangeRunsStaySafeAndLive() throws Exception {
        int seeds = Integer.getInteger("raftkv.sim.membershipSeeds", 100);
        Totals totals = runSeeds(FIRST_SEED, seeds, "membership changes", Long.MAX_VALUE,
                seed -> new ChaosRun(seed, 20_000, Mutation.NONE, CrashLoss.NONE, true));
        assertTrue(totals.membershipChanges() >= seeds, "too few membership changes committed: " + totals);
    }

    @Test
    void aSeedReproducesExactly() {
        for (long seed = 1; seed <= 3; seed++) {
            ChaosRun.Result first = new ChaosRun(seed, 5_000).run();
            ChaosRun.Result second = new ChaosRun(seed, 5_000).run();
            assertEquals(first, second, "seed " + seed + " ran differently the second time");
        }
    }

    /**
     * The long run behind {@code -Psoak}: 5,000 seeds of 100,000 steps (about half a billion steps), stopping early
     * after {@code raftkv.sim.soakMinutes} (default 30).
     */
    @Test
    @Tag("soak")
    void soak() throws Exception {
        int seeds = Integer.getInteger("raftkv.sim.soakSeeds", 5_000);
        long steps = Long.getLong("raftkv.sim.soakSteps", 100_000);
        long minutes = Long.getLong("raftkv.sim.soakMinutes", 30);
        runSeeds(Long.getLong("raftkv.sim.soakFirstSeed", 1_000_000), seeds, steps, "soak",
                minutes * 60_000_000_000L);
    }

    static void runSeeds(long firstSeed, int seeds, long steps, String label) throws Exception {
        runSeeds(firstSeed, seeds, steps, label, Long.MAX_VALUE);
    }

    static void runSeeds(long firstSeed, int seeds, long steps, String label, long budgetNanos) throws Exception {
        runSeeds(firstSeed, seeds, steps, label, budgetNanos, seed -> CrashLoss.NONE);
    }

    /** Runs seeds whose crashes do {@code crashLoss.apply(seed)} to unsynced writes. */
    static void runSeeds(long firstSeed, int seeds, long steps, String label, long budgetNanos,
            LongFunction<CrashLoss> crashLoss) throws Exception {
        runSeeds(firstSeed, seeds, label, budgetNanos, s -> new ChaosRun(s, steps, Mutation.NONE, crashLoss.apply(s)));
    }

    /** Runs the seeds' runs on a small pool; seeds not started within {@code budgetNanos} of the call are skipped. */
    /** What the runs of one call did, summed. */
    record Totals(int seeds, long steps, long commits, long membershipChanges, long checks) {}

    static Totals runSeeds(long firstSeed, int seeds, String label, long budgetNanos, LongFunction<ChaosRun> runs)
            throws Exception {
        int threads = Integer.getInteger("raftkv.sim.threads", Math.min(2, Runtime.getRuntime().availableProcessors()));
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        long start = System.nanoTime();
        try {
            List<Future<ChaosRun.Result>> futures = new ArrayList<>();
            for (long seed = firstSeed; seed < firstSeed + seeds; seed++) {
                long s = seed;
                futures.add(pool.submit(() -> System.nanoTime() - start < budgetNanos ? runs.apply(s).run() : null));
            }
            long totalSteps = 0;
            long committed = 0;
            long virtual = 0;
            long checks = 0;
            long changes = 0;
            int ran = 0;
            for (Future<ChaosRun.Result> f : futures) {
                try {
                    ChaosRun.Result r = f.get();
                    if (r == null) {
                        continue; // past the deadline
                    }
                    ran++;
                    totalSteps += r.steps();
                    committed += r.committed();
                    virtual += r.virtualMicros();
                    checks += r.checks();
                    changes += r.membershipChanges();
                } catch (ExecutionException e) {
                    pool.shutdownNow();
                    if (e.getCause() instanceof AssertionError a) {
                        throw a;
                    }
                    throw e;
                }
            }
            // A checker that checks nothing would pass every seed: make sure it did work.
            assertTrue(ran == 0 || checks > 0, label + ": the safety checker made no checks in " + ran + " seeds");
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("%s: %d seeds, %,d steps (%,.0f virtual seconds, %,d commits, %,d membership changes,"
                            + " %,d checks) in %.1f s "
                            + "on %d threads: %,.0f steps/s%n", label, ran, totalSteps, virtual / 1e6, committed,
                    changes, checks, seconds, threads, totalSteps / seconds);
            return new Totals(ran, totalSteps, committed, changes, checks);
        } finally {
            pool.shutdownNow();
        }
    }
}
