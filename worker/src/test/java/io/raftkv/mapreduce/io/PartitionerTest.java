package io.raftkv.mapreduce.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PartitionerTest {

    @Test
    void matchesPublishedFnv1aVectors() {
        assertEquals(0x811c9dc5, Partitioner.fnv1a(""));
        assertEquals(0xe40c292c, Partitioner.fnv1a("a"));
        assertEquals(0xbf9cf968, Partitioner.fnv1a("foobar"));
        // Non-ASCII keys hash their UTF-8 bytes: "é" is 0xc3 0xa9.
        int expected = 0x811c9dc5;
        for (int b : new int[] {0xc3, 0xa9}) {
            expected = (expected ^ b) * 0x01000193;
        }
        assertEquals(expected, Partitioner.fnv1a("é"));
    }

    @Test
    void partitionIsInRangeAndStable() {
        for (int reduces = 1; reduces <= 17; reduces++) {
            for (String key : new String[] {"", "a", "the", "naïve", "日本語", "a longer key with spaces"}) {
                int partition = Partitioner.partition(key, reduces);
                assertTrue(partition >= 0 && partition < reduces, key + " -> " + partition);
                assertEquals(partition, Partitioner.partition(new String(key.toCharArray()), reduces));
            }
        }
    }

    @Test
    void spreadsWordsOverPartitions() {
        int[] counts = new int[10];
        for (int i = 0; i < 10_000; i++) {
            counts[Partitioner.partition("word" + i, 10)]++;
        }
        for (int count : counts) {
            assertTrue(count > 800 && count < 1_200, "uneven partition sizes: " + java.util.Arrays.toString(counts));
        }
    }
}
