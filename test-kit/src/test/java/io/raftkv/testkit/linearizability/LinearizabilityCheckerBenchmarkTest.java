package io.raftkv.testkit.linearizability;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.raftkv.testkit.linearizability.CheckResult.Verdict;
import io.raftkv.testkit.linearizability.KvModel.Input;
import io.raftkv.testkit.linearizability.KvModel.Output;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Prints how fast the checker gets through 10,000-operation histories: reproducible synthetic ones (several clients
 * and keys) and one recorded from 8 threads on a concurrent map.
 */
@Tag("benchmark")
class LinearizabilityCheckerBenchmarkTest {

    private static void measure(String label, List<Operation<Input, Output>> history, boolean mustFinish) {
        LinearizabilityChecker.check(KvModel.INSTANCE, history, Duration.ofMinutes(2)); // warm-up
        CheckResult result = LinearizabilityChecker.check(KvModel.INSTANCE, history, Duration.ofMinutes(2));
        if (mustFinish) {
            assertEquals(Verdict.LINEARIZABLE, result.verdict(), result::toString);
        }
        double seconds = result.elapsed().toNanos() / 1e9;
        System.out.printf("linearizability check, %s: %,d operations, %s in %,.0f ms = %,.0f ops/s%n", label,
                result.operations(), result.verdict(), seconds * 1e3, result.operations() / seconds);
    }

    @Test
    void tenThousandOperations() throws InterruptedException {
        measure("synthetic, 8 clients, 10 keys", SyntheticHistory.generate(42, 8, 10, 10_000), true);
        measure("synthetic, 16 clients, 10 keys", SyntheticHistory.generate(42, 16, 10, 10_000), true);
        measure("synthetic, 4 clients, 1 key", SyntheticHistory.generate(42, 4, 1, 10_000), true);
        measure("recorded from 8 threads, 10 keys", new ConcurrentKvWorkload(
                new ConcurrentKvWorkload.CorrectStore(), 10).run(8, 1_250, 42).history(), true);
        // The hard case: 8 clients appending to one key. Every order of overlapping appends is a distinct state, so
        // the search can exhaust its configuration cap and answer UNKNOWN.
        measure("synthetic, 8 clients, 1 key (stress)", SyntheticHistory.generate(42, 8, 1, 10_000), false);
    }
}
