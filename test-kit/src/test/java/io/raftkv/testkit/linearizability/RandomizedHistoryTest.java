package io.raftkv.testkit.linearizability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.testkit.linearizability.CheckResult.Verdict;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Histories recorded from real concurrent stores: a correct one must pass, broken ones must fail. */
class RandomizedHistoryTest {
    private static final Duration BUDGET = Duration.ofSeconds(60);

    @Test
    void correctConcurrentStorePasses() throws InterruptedException {
        for (long seed = 1; seed <= 5; seed++) {
            ConcurrentKvWorkload workload = new ConcurrentKvWorkload(new ConcurrentKvWorkload.CorrectStore(), 4)
                    .run(6, 300, seed)
                    .appendSevenThenReadEachKey()
                    .putThenReadEachKeyTwice();
            CheckResult result = LinearizabilityChecker.check(KvModel.INSTANCE, workload.history(), BUDGET);
            assertEquals(Verdict.LINEARIZABLE, result.verdict(), "seed " + seed + ": " + result);
        }
    }

    @Test
    void storeThatLosesAcknowledgedAppendsFails() throws InterruptedException {
        for (long seed = 1; seed <= 3; seed++) {
            ConcurrentKvWorkload workload = new ConcurrentKvWorkload(new ConcurrentKvWorkload.LosingStore(), 4)
                    .run(6, 300, seed)
                    .appendSevenThenReadEachKey();
            CheckResult result = LinearizabilityChecker.check(KvModel.INSTANCE, workload.history(), BUDGET);
            assertEquals(Verdict.NOT_LINEARIZABLE, result.verdict(), "seed " + seed + ": " + result);
            assertTrue(result.explanation().contains("for key \"k"), result.explanation());
        }
    }

    @Test
    void storeWithStaleReadsFails() throws InterruptedException {
        for (long seed = 1; seed <= 3; seed++) {
            ConcurrentKvWorkload workload = new ConcurrentKvWorkload(new ConcurrentKvWorkload.StaleReadStore(), 4)
                    .run(6, 300, seed)
                    .putThenReadEachKeyTwice();
            CheckResult result = LinearizabilityChecker.check(KvModel.INSTANCE, workload.history(), BUDGET);
            assertEquals(Verdict.NOT_LINEARIZABLE, result.verdict(), "seed " + seed + ": " + result);
        }
    }
}
