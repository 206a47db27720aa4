package io.raftkv.mapreduce.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class InputSplitsTest {
    private static final Path FILE = Path.of("/data/big.txt");

    @Test
    void aFileCutsIntoSplitSizedRangesWithAShorterLastOne() {
        assertEquals(List.of(new Job.Split("big.txt", FILE, 0, 4, 10), new Job.Split("big.txt", FILE, 4, 4, 10),
                new Job.Split("big.txt", FILE, 8, 2, 10)), InputSplits.of("big.txt", FILE, 10, 4));
    }

    @Test
    void smallAndEmptyFilesAreOneSplitEach() {
        assertEquals(List.of(new Job.Split("big.txt", FILE, 0, 4, 4)), InputSplits.of("big.txt", FILE, 4, 4));
        assertEquals(List.of(new Job.Split("big.txt", FILE, 0, 0, 0)), InputSplits.of("big.txt", FILE, 0, 4));
    }

    @Test
    void sizesReadLikePeopleWriteThem() {
        assertEquals(64L << 20, ByteSize.parse("64MiB"));
        assertEquals(64L << 20, ByteSize.parse("64mb"));
        assertEquals(1L << 20, ByteSize.parse("1m"));
        assertEquals(512L << 10, ByteSize.parse("512k"));
        assertEquals(3L << 30, ByteSize.parse("3G"));
        assertEquals(65_536, ByteSize.parse("65536"));
        assertEquals(100, ByteSize.parse("100b"));
        for (String bad : List.of("", "m", "1.5m", "-1k", "12 apples", "0", "99999999999999999999")) {
            assertThrows(IllegalArgumentException.class, () -> ByteSize.parse(bad), bad);
        }
    }
}
