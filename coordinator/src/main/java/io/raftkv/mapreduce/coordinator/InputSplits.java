package io.raftkv.mapreduce.coordinator;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Cuts input files into splits of at most the split size, one map task each. Splits are plain byte ranges; the
 * worker widens each to whole lines ({@link io.raftkv.mapreduce.io.SplitReader}), so cutting needs no reading here.
 */
final class InputSplits {
    /** A split is read into memory as one string, so it must stay well below Java's 2 GiB array limit. */
    static final long MAX_SPLIT_SIZE = 1L << 30;

    private InputSplits() {}

    /** The splits of one file of {@code size} bytes: one for a file up to the split size (an empty one too). */
    static List<Job.Split> of(String name, Path path, long size, long splitSize) {
        if (splitSize < 1 || splitSize > MAX_SPLIT_SIZE) {
            throw new IllegalArgumentException("split size must be in 1.." + MAX_SPLIT_SIZE + ", was " + splitSize);
        }
        List<Job.Split> splits = new ArrayList<>();
        if (size == 0) {
            splits.add(new Job.Split(name, path, 0, 0, size));
            return splits;
        }
        for (long offset = 0; offset < size; offset += splitSize) {
            splits.add(new Job.Split(name, path, offset, Math.min(splitSize, size - offset), size));
        }
        return splits;
    }
}
