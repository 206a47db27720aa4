package io.raftkv.mapreduce.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SplitReaderTest {
    @TempDir
    Path dir;

    @Test
    void aLineEndingExactlyAtTheBoundaryBelongsToTheFirstSplitAndTheNextLineToTheSecond() throws IOException {
        Path file = write("abc\ndef\n");
        assertEquals(List.of("abc\n", "def\n"), splits(file, 4));
    }

    @Test
    void aSplitStartingInsideALineLeavesThatLineToThePreviousSplit() throws IOException {
        Path file = write("abcdef\ngh\n");
        assertEquals(List.of("abcdef\n", "gh\n", ""), splits(file, 4));
    }

    @Test
    void aBoundaryInsideCrLfKeepsTheLineWhole() throws IOException {
        // Bytes: a b \r \n c d \r \n; the second split starts at the \n of the first line.
        Path file = write("ab\r\ncd\r\n");
        assertEquals(List.of("ab\r\n", "cd\r\n", ""), splits(file, 3));
    }

    @Test
    void aLineLongerThanTheSplitSizeIsReadOnceByTheSplitWhereItStarts() throws IOException {
        Path file = write("x\n" + "y".repeat(50) + "\nz\n");
        List<String> splits = splits(file, 8);
        assertEquals("x\n" + "y".repeat(50) + "\n", splits.get(0));
        assertEquals("z\n", String.join("", splits.subList(1, splits.size())));
    }

    @Test
    void theLastLineWithoutANewlineIsRead() throws IOException {
        Path file = write("one\ntwo\nthree");
        assertEquals(List.of("one\n", "two\n", "three", ""), splits(file, 4));
    }

    @Test
    void anEmptyFileIsOneEmptySplit() throws IOException {
        Path file = write("");
        assertArrayEquals(new byte[0], SplitReader.read(file, 0, 0));
    }

    @Test
    void offsetAndLengthZeroMeanTheWholeFile() throws IOException {
        Path file = write("all\nof\nit");
        assertEquals("all\nof\nit", new String(SplitReader.read(file, 0, 0), StandardCharsets.UTF_8));
    }

    @Test
    void aBoundaryInsideAMultiByteCharacterDoesNotCutIt() throws IOException {
        // "é" and "€" are 2 and 3 bytes: boundaries every 2 bytes fall inside them.
        Path file = write("é€\nü€é\n€\n");
        List<String> splits = splits(file, 2);
        assertEquals("é€\nü€é\n€\n", String.join("", splits));
        for (String split : splits) {
            assertEquals(split, new String(split.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8));
            assertEquals(-1, split.indexOf('\uFFFD'), "no replacement character: " + split);
        }
    }

    @Test
    void randomFilesAreReadExactlyOnceWhateverTheSplitSize() throws IOException {
        Random random = new Random(42);
        String[] pieces = {"a", "bc", " ", "é", "€", "\r", "\n", "\r\n", "\n\n", "word "};
        for (int round = 0; round < 200; round++) {
            StringBuilder text = new StringBuilder();
            int count = random.nextInt(60);
            for (int i = 0; i < count; i++) {
                text.append(pieces[random.nextInt(pieces.length)]);
            }
            Path file = write(text.toString());
            int splitSize = 1 + random.nextInt(12);
            byte[] whole = Files.readAllBytes(file);
            ByteArrayOutputStream joined = new ByteArrayOutputStream();
            for (long offset = 0; offset < Math.max(1, whole.length); offset += splitSize) {
                joined.write(SplitReader.read(file, offset, Math.min(splitSize, whole.length - offset)));
            }
            assertArrayEquals(whole, joined.toByteArray(), "split size " + splitSize + " of '" + text + "'");
        }
    }

    /** The contents of each split of {@code size} bytes, as the coordinator cuts the file. */
    private static List<String> splits(Path file, int size) throws IOException {
        long length = Files.size(file);
        List<String> splits = new ArrayList<>();
        for (long offset = 0; offset < length; offset += size) {
            byte[] bytes = SplitReader.read(file, offset, Math.min(size, length - offset));
            splits.add(new String(bytes, StandardCharsets.UTF_8));
        }
        return splits;
    }

    private Path write(String text) throws IOException {
        Path file = Files.createTempFile(dir, "split", ".txt");
        Files.writeString(file, text, StandardCharsets.UTF_8);
        return file;
    }
}
