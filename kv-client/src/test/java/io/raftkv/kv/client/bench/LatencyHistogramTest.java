package io.raftkv.kv.client.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LatencyHistogramTest {

    @Test
    void anEmptyHistogramReportsZeros() {
        LatencyHistogram empty = new LatencyHistogram();
        assertEquals(0, empty.count());
        assertEquals(0, empty.percentile(0.5));
        assertEquals(0, empty.percentile(1.0));
        assertEquals(0, empty.min());
        assertEquals(0, empty.max());
        assertEquals(0.0, empty.mean());
    }

    @Test
    void smallValuesAreExact() {
        LatencyHistogram histogram = new LatencyHistogram();
        for (int value = 1; value <= 200; value++) {
            histogram.record(value);
        }
        assertEquals(100, histogram.percentile(0.50));
        assertEquals(198, histogram.percentile(0.99));
        assertEquals(200, histogram.percentile(0.999));
        assertEquals(1, histogram.percentile(0.001));
        assertEquals(1, histogram.min());
        assertEquals(200, histogram.max());
        assertEquals(100.5, histogram.mean(), 1e-9);
    }

    @Test
    void percentilesFollowTheNearestRankDefinition() {
        // 1000 latencies of 1..1000 ms: p50 is the 500th, p99 the 990th, p999 the 999th.
        LatencyHistogram histogram = new LatencyHistogram();
        for (int ms = 1000; ms >= 1; ms--) {
            histogram.record(ms * 1_000_000L);
        }
        assertWithinBucket(500_000_000L, histogram.percentile(0.50));
        assertWithinBucket(990_000_000L, histogram.percentile(0.99));
        assertWithinBucket(999_000_000L, histogram.percentile(0.999));
        assertEquals(1_000_000_000L, histogram.percentile(1.0));
        assertEquals(1_000_000_000L, histogram.max());
    }

    @Test
    void floatingPointProductsDoNotShiftTheRank() {
        LatencyHistogram histogram = new LatencyHistogram();
        for (int value = 1; value <= 100; value++) {
            histogram.record(value);
        }
        // 0.07 * 100 is 7.000000000000001 in floating point; the 7th smallest value is 7.
        assertEquals(7, histogram.percentile(0.07));
        assertEquals(57, histogram.percentile(0.57));
        assertEquals(99, histogram.percentile(0.99));
    }

    @Test
    void oneSlowOperationShowsOnlyInTheTail() {
        LatencyHistogram histogram = new LatencyHistogram();
        for (int i = 0; i < 999; i++) {
            histogram.record(2_000_000);
        }
        histogram.record(400_000_000);
        assertWithinBucket(2_000_000, histogram.percentile(0.50));
        assertWithinBucket(2_000_000, histogram.percentile(0.99));
        assertWithinBucket(2_000_000, histogram.percentile(0.999));
        assertEquals(400_000_000, histogram.percentile(0.9999));
        assertEquals(400_000_000, histogram.max());
    }

    @Test
    void randomLatenciesMatchSortedPercentilesWithinOnePercent() {
        SplittableRandom random = new SplittableRandom(7);
        long[] values = new long[100_000];
        LatencyHistogram histogram = new LatencyHistogram();
        for (int i = 0; i < values.length; i++) {
            // Log-uniform from 10 µs to 10 s, as real latencies spread over orders of magnitude.
            values[i] = (long) Math.pow(10, 4 + 6 * random.nextDouble());
            histogram.record(values[i]);
        }
        Arrays.sort(values);
        for (double fraction : new double[] {0.001, 0.1, 0.5, 0.9, 0.99, 0.999, 0.9999}) {
            long exact = values[(int) Math.ceil(fraction * values.length) - 1];
            long reported = histogram.percentile(fraction);
            assertTrue(reported >= exact && reported <= exact + exact / 100,
                    "p" + fraction + ": exact " + exact + ", reported " + reported);
        }
        assertEquals(values[0], histogram.min());
        assertEquals(values[values.length - 1], histogram.max());
    }

    @Test
    void mergedHistogramsEqualOneThatSawEverything() {
        LatencyHistogram left = new LatencyHistogram();
        LatencyHistogram right = new LatencyHistogram();
        LatencyHistogram both = new LatencyHistogram();
        SplittableRandom random = new SplittableRandom(11);
        for (int i = 0; i < 10_000; i++) {
            long value = random.nextLong(1, 50_000_000);
            (i % 3 == 0 ? left : right).record(value);
            both.record(value);
        }
        left.add(right);
        assertEquals(both.count(), left.count());
        assertEquals(both.min(), left.min());
        assertEquals(both.max(), left.max());
        assertEquals(both.mean(), left.mean(), 1e-6);
        for (double fraction : new double[] {0.5, 0.99, 0.999}) {
            assertEquals(both.percentile(fraction), left.percentile(fraction));
        }
    }

    @Test
    void bucketsTileTheWholeRangeWithoutGaps() {
        for (int index = 0; index < LatencyHistogram.indexOf(Long.MAX_VALUE); index++) {
            long highest = LatencyHistogram.highestInBucket(index);
            assertEquals(index, LatencyHistogram.indexOf(LatencyHistogram.lowestInBucket(index)));
            assertEquals(index, LatencyHistogram.indexOf(highest));
            assertEquals(highest + 1, LatencyHistogram.lowestInBucket(index + 1), "after bucket " + index);
            long width = highest - LatencyHistogram.lowestInBucket(index) + 1;
            assertTrue(width == 1 || width * 128 <= LatencyHistogram.lowestInBucket(index),
                    "bucket " + index + " is too wide: " + width);
        }
        assertEquals(Long.MAX_VALUE, LatencyHistogram.highestInBucket(LatencyHistogram.indexOf(Long.MAX_VALUE)));
    }

    @Test
    void hugeAndNegativeValuesAreKept() {
        LatencyHistogram histogram = new LatencyHistogram();
        histogram.record(Long.MAX_VALUE);
        histogram.record(-5);
        assertEquals(0, histogram.min());
        assertEquals(Long.MAX_VALUE, histogram.max());
        assertEquals(Long.MAX_VALUE, histogram.percentile(1.0));
        assertEquals(0, histogram.percentile(0.5));
    }

    @Test
    void aPercentileOutsideZeroToOneIsRejected() {
        LatencyHistogram histogram = new LatencyHistogram();
        assertThrows(IllegalArgumentException.class, () -> histogram.percentile(0));
        assertThrows(IllegalArgumentException.class, () -> histogram.percentile(1.5));
        assertThrows(IllegalArgumentException.class, () -> histogram.percentile(Double.NaN));
    }

    /** The reported value is the top of the bucket that holds the exact one: never below it, under 1% above. */
    private static void assertWithinBucket(long exact, long reported) {
        assertTrue(reported >= exact && reported - exact <= exact / 128,
                "exact " + exact + ", reported " + reported);
    }
}
