package io.raftkv.kv.client.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The load loop against an in-memory target: its two bounds, its error counting, and its concurrency. */
class LoadRunnerTest {
    private static final Duration LONG = Duration.ofMinutes(5);
    private final KeySpace keys = new KeySpace("k/", 100);

    private LoadRunner runner(BenchTarget target) {
        return new LoadRunner(target, keys, 16, 42, Duration.ofSeconds(5));
    }

    @Test
    void stopsAtExactlyTheOperationLimitSharedByAllClients() {
        ScriptedTarget target = ScriptedTarget.succeeding();
        PhaseResult result = runner(target).run("test", Plan.random(Workload.WRITE, keys), 10, 1_000, LONG);
        assertEquals(1_000, target.calls.get());
        assertEquals(1_000, result.succeeded());
        assertEquals(1_000, result.puts().count());
        assertEquals(0, result.gets().count());
        assertEquals(PhaseResult.Stop.COUNT, result.stoppedBy());
        assertTrue(target.allOnVirtualThreads.get(), "every client runs on a virtual thread");
    }

    @Test
    void stopsAtTheTimeLimitWhenNoCountBinds() {
        ScriptedTarget target = new ScriptedTarget((op, key) -> {
            sleep(2);
            return true;
        });
        Duration limit = Duration.ofMillis(300);
        PhaseResult result = runner(target).run("test", Plan.random(Workload.READ, keys), 4, Long.MAX_VALUE, limit);
        assertEquals(PhaseResult.Stop.TIME, result.stoppedBy());
        assertTrue(result.elapsedNanos() >= limit.toNanos(), () -> "ended after " + result.elapsedNanos() + " ns");
        assertTrue(result.succeeded() > 0);
        assertEquals(target.calls.get(), result.succeeded());
    }

    @Test
    void failuresAreCountedByKindAndLeftOutOfTheLatencies() {
        ScriptedTarget target = new ScriptedTarget((op, key) -> {
            int index = Integer.parseInt(key.substring(2));
            if (op == Workload.Op.PUT && index % 4 == 0) {
                throw new IllegalStateException("rejected");
            }
            if (op == Workload.Op.GET && index % 5 == 0) {
                throw new IllegalStateException("timeout");
            }
            // A read of a key that is not there (every key ending in 1 here) counts as an error, not a success.
            return index % 10 != 1;
        });
        PhaseResult result = runner(target).run("test", Plan.random(Workload.MIXED, keys), 8, 4_000, LONG);
        assertEquals(4_000, target.calls.get());
        Map<String, Long> errors = result.errors();
        assertEquals(java.util.Set.of("rejected", "timeout", ErrorKinds.NOT_FOUND), errors.keySet());
        assertEquals(4_000, result.succeeded() + result.failed());
        long okPuts = target.putsByKey.values().stream().mapToLong(java.util.concurrent.atomic.AtomicInteger::get)
                .sum();
        assertEquals(okPuts, result.puts().count());
        assertEquals(result.succeeded(), result.all().count());
        // A quarter of the keys reject puts, a fifth time out reads, a tenth are missing: all three happened.
        assertTrue(errors.values().stream().allMatch(count -> count > 0), errors::toString);
    }

    @Test
    void everyClientHasARequestInFlightAtTheSameTime() {
        int clients = 256;
        CountDownLatch allInFlight = new CountDownLatch(clients);
        ScriptedTarget target = new ScriptedTarget((op, key) -> {
            // Each client's first call waits here until all 256 clients have one call in flight.
            allInFlight.countDown();
            try {
                if (!allInFlight.await(60, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("not all clients in flight");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted");
            }
            return true;
        });
        PhaseResult result = runner(target).run("test", Plan.random(Workload.WRITE, keys), clients, clients, LONG);
        assertEquals(Map.of(), result.errors());
        assertEquals(clients, result.succeeded());
        assertTrue(target.allOnVirtualThreads.get());
    }

    @Test
    void thePreloadPlanWritesEveryKeyExactlyOnce() {
        ScriptedTarget target = ScriptedTarget.succeeding();
        PhaseResult result = runner(target).run("preload", Plan.writeEveryKeyOnce(keys), 7, keys.size(), LONG);
        assertEquals(keys.size(), result.succeeded());
        assertEquals(keys.size(), target.putsByKey.size());
        assertTrue(target.putsByKey.values().stream().allMatch(count -> count.get() == 1));
        assertEquals(PhaseResult.Stop.COUNT, result.stoppedBy());
    }

    @Test
    void keysHaveOneLengthAndValuesTheRequestedSize() {
        KeySpace space = new KeySpace("bench/", 1_000);
        assertEquals("bench/000", new String(space.key(0), java.nio.charset.StandardCharsets.US_ASCII));
        assertEquals("bench/042", new String(space.key(42), java.nio.charset.StandardCharsets.US_ASCII));
        assertEquals("bench/999", new String(space.key(999), java.nio.charset.StandardCharsets.US_ASCII));
        assertEquals("x0", new String(new KeySpace("x", 1).key(0), java.nio.charset.StandardCharsets.US_ASCII));
        byte[] value = LoadRunner.randomText(new java.util.SplittableRandom(1), 100);
        assertEquals(100, value.length);
        for (byte b : value) {
            assertTrue(b >= 'a' && b <= 'z');
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
