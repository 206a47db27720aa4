package io.raftkv.kv.client.bench;

/**
 * Latencies in nanoseconds, counted in log-linear buckets (as HdrHistogram does): values under 256 are exact, larger
 * ones fall in buckets whose width is under 1/128 of their value, so any percentile is within 0.8% of the true value.
 * Recording is one array increment; each load client owns one histogram and they are merged at the end, so no
 * recording ever contends. Not thread-safe.
 */
public final class LatencyHistogram {
    private static final int SUB_BUCKET_BITS = 7;
    private static final int SUB_BUCKETS = 1 << SUB_BUCKET_BITS;
    /** Values below this are counted one bucket per value. */
    private static final long EXACT_LIMIT = 2L * SUB_BUCKETS;
    private static final int BUCKETS = indexOf(Long.MAX_VALUE) + 1;

    private final long[] counts = new long[BUCKETS];
    private long total;
    private long sum;
    private long min = Long.MAX_VALUE;
    private long max;

    /** Counts one latency; a negative value (a clock step) counts as zero. */
    public void record(long nanos) {
        long value = Math.max(0, nanos);
        counts[indexOf(value)]++;
        total++;
        sum += value;
        min = Math.min(min, value);
        max = Math.max(max, value);
    }

    /** Adds every value counted by {@code other}. */
    public void add(LatencyHistogram other) {
        for (int i = 0; i < BUCKETS; i++) {
            counts[i] += other.counts[i];
        }
        total += other.total;
        sum += other.sum;
        min = Math.min(min, other.min);
        max = Math.max(max, other.max);
    }

    public long count() {
        return total;
    }

    /** The smallest value recorded, or 0 when empty. */
    public long min() {
        return total == 0 ? 0 : min;
    }

    /** The largest value recorded, or 0 when empty. */
    public long max() {
        return max;
    }

    /** The mean of the recorded values, or 0 when empty. */
    public double mean() {
        return total == 0 ? 0 : (double) sum / total;
    }

    /**
     * The value at or below which {@code fraction} of the recorded values lie (0.99 for p99): the highest value of
     * the bucket that holds the ceil(fraction × count)-th smallest value, capped at the maximum recorded. 0 when
     * empty.
     */
    public long percentile(double fraction) {
        if (!(fraction > 0 && fraction <= 1)) {
            throw new IllegalArgumentException("a percentile is a fraction in (0, 1], not " + fraction);
        }
        if (total == 0) {
            return 0;
        }
        // Nearest rank; the small slack keeps a product like 0.07 × 100 = 7.000000000000001 from ranking 8th.
        long rank = Math.max(1, (long) Math.ceil(fraction * total - 1e-6));
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += counts[i];
            if (seen >= rank) {
                return Math.min(highestInBucket(i), max);
            }
        }
        return max;
    }

    static int indexOf(long value) {
        if (value < EXACT_LIMIT) {
            return (int) value;
        }
        int exponent = 63 - Long.numberOfLeadingZeros(value);
        int shift = exponent - SUB_BUCKET_BITS;
        // value >> shift lies in [SUB_BUCKETS, 2 * SUB_BUCKETS): the top bits pick the bucket within the power of 2.
        return shift * SUB_BUCKETS + (int) (value >>> shift);
    }

    static long lowestInBucket(int index) {
        if (index < EXACT_LIMIT) {
            return index;
        }
        int shift = index / SUB_BUCKETS - 1;
        long mantissa = SUB_BUCKETS + index % SUB_BUCKETS;
        return mantissa << shift;
    }

    static long highestInBucket(int index) {
        if (index < EXACT_LIMIT) {
            return index;
        }
        int shift = index / SUB_BUCKETS - 1;
        long width = 1L << shift;
        long lowest = lowestInBucket(index);
        // The last bucket ends at Long.MAX_VALUE; lowest + width - 1 does not overflow.
        return lowest + (width - 1);
    }
}
