package io.raftkv.raft.sim;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.util.function.LongConsumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Shows the safety checker can fail: each {@link Mutation} plants a real Raft bug (in the core, the disk, or the
 * runtime's own ordering code), and short seeded runs must hit a {@link SafetyViolation} within a bounded number of
 * seeds; the seed is printed. The violating seed without the bug must pass, so it is the bug the checker catches and
 * not the run itself.
 */
class SafetyCheckerMutationTest {
    private static final int MAX_SEEDS = 200;
    private static final long STEPS = 20_000;

    @ParameterizedTest
    @EnumSource(value = Mutation.class, names = {"FORGET_VOTE_ON_RESTART", "COMMIT_OLDER_TERMS",
        "ACK_PROPOSAL_BEFORE_PERSIST", "APPLY_BEFORE_SNAPSHOT"})
    void chaosRunsCatchMutation(Mutation mutation) {
        long caught = firstViolatingSeed(mutation, seed -> new ChaosRun(seed, STEPS, mutation).run());
        ChaosRun.Result r = new ChaosRun(caught, STEPS).run(); // throws if the unmutated run fails
        assertTrue(r.checks() > 0, "seed " + caught + " made no checks");
    }

    /**
     * Lost acknowledgements need a crash inside the write window and then a leader without the entry, which random
     * chaos rarely lines up (and the core's own sanity check often trips first), so these runs aim at it.
     */
    @ParameterizedTest
    @EnumSource(value = Mutation.class, names = {"LYING_FSYNC", "RESPOND_BEFORE_FSYNC"})
    void lostAcknowledgementsAreCaught(Mutation mutation) {
        long caught = firstViolatingSeed(mutation, seed -> crashFollowerThenLeader(seed, mutation));
        crashFollowerThenLeader(caught, Mutation.NONE); // throws if the unmutated run fails
    }

    /**
     * Crashes that lose what was not fsynced (a power loss) are survived with nothing committed lost (see
     * {@link RandomizedSimulationTest#powerLossRunsStaySafeAndLive}), but not by a runtime that writes a new term or
     * vote without an fsync: a node forgets its vote and votes twice.
     */
    @Test
    void powerLossCatchesAnUnsyncedVote() {
        long caught = firstViolatingSeed(Mutation.UNSYNCED_HARD_STATE,
                seed -> new ChaosRun(seed, STEPS, Mutation.UNSYNCED_HARD_STATE, CrashLoss.UNSYNCED_TAIL).run());
        ChaosRun.Result r = new ChaosRun(caught, STEPS, Mutation.NONE, CrashLoss.UNSYNCED_TAIL).run();
        assertTrue(r.checks() > 0, "seed " + caught + " made no checks");
    }

    private static long firstViolatingSeed(Mutation mutation, LongConsumer run) {
        return firstViolatingSeed(mutation, MAX_SEEDS, run);
    }

    /**
     * Single-server membership changes are safe only one at a time, and only once the leader has committed in its
     * term. Each rule broken is caught in a staged scenario (random chaos with membership changes also catches the
     * first, but only after about 200 seeds: see {@link ChaosRun}).
     */
    @Test
    void twoChangesInFlightAreCaught() {
        long caught = firstViolatingSeed(Mutation.CONCURRENT_MEMBERSHIP_CHANGES, 20, seed ->
                VoterChangeScenariosTest.concurrentChangesScenario(seed, Mutation.CONCURRENT_MEMBERSHIP_CHANGES));
        VoterChangeScenariosTest.concurrentChangesScenario(caught, Mutation.NONE); // throws if the unmutated run fails
    }

    /** The dissertation's counterexample, staged: a leader that changes membership before committing in its term. */
    @Test
    void theSingleServerBugIsCaught() {
        long caught = firstViolatingSeed(Mutation.MEMBERSHIP_CHANGE_BEFORE_TERM_COMMIT, 20, seed ->
                VoterChangeScenariosTest.singleServerBugScenario(seed, Mutation.MEMBERSHIP_CHANGE_BEFORE_TERM_COMMIT));
        VoterChangeScenariosTest.singleServerBugScenario(caught, Mutation.NONE); // throws if the unmutated run fails
    }

    /** The first seed whose run ends in a safety violation; fails if none does within the bound. */
    private static long firstViolatingSeed(Mutation mutation, int maxSeeds, LongConsumer run) {
        for (long seed = 1; seed <= maxSeeds; seed++) {
            try {
                run.accept(seed);
            } catch (AssertionError | RuntimeException e) {
                SafetyViolation v = violation(e);
                if (v != null) {
                    System.out.println(mutation + ": caught at seed " + seed + ": " + v.getMessage());
                    return seed;
                }
                // Not the checker's verdict (e.g. the core's own sanity check): keep looking.
            }
        }
        return fail("the checker missed " + mutation + " in " + maxSeeds + " seeds");
    }

    private static SafetyViolation violation(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SafetyViolation v) {
                return v;
            }
        }
        return null;
    }

    /**
     * Rounds of: proposals to the leader, a follower crash a few milliseconds later (inside its slow fsync), the
     * leader cut off, the follower back: the other two must elect a leader that holds every committed entry.
     */
    private static void crashFollowerThenLeader(long seed, Mutation mutation) {
        Simulation sim = new Simulation(SimConfig.builder(3, seed).syncMicros(5 * Scheduler.MILLIS,
                30 * Scheduler.MILLIS).mutation(mutation).build());
        sim.network().delay(100, 3 * Scheduler.MILLIS);
        long command = 0;
        for (int round = 0; round < 5; round++) {
            if (!sim.runUntil(() -> sim.leader().isPresent(), 10 * Scheduler.SECONDS)) {
                throw new AssertionError("seed " + seed + ": no leader");
            }
            SimNode leader = sim.leader().get();
            SimNode follower = sim.node((leader.index() + 1 + sim.random().nextInt(2)) % 3);
            for (int k = 0; k < 3; k++) {
                leader.propose(ByteBuffer.allocate(8).putLong(++command).array());
            }
            sim.runFor(sim.random().nextLong(20 * Scheduler.MILLIS));
            sim.crash(follower.id());
            sim.isolate(leader.id());
            sim.restart(follower.id());
            sim.runFor(3 * Scheduler.SECONDS);
            sim.reconnect(leader.id());
            sim.runFor(Scheduler.SECONDS);
        }
        assertTrue(sim.checker().checks() > 0, "seed " + seed + " made no checks");
    }
}
