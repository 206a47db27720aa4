package io.raftkv.mapreduce.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IntermediateFormatTest {
    @TempDir
    Path dir;

    @Test
    void recordsRoundTripInOrder() throws IOException {
        Path file = dir.resolve("mr-0-0");
        List<String[]> records = List.of(
                new String[] {"", "empty key"},
                new String[] {"a", ""},
                new String[] {"a", "second value of a"},
                new String[] {"naïve", "日本語 value\nwith a newline"});
        AtomicFiles.write(file, out -> {
            IntermediateWriter writer = new IntermediateWriter(out);
            for (String[] record : records) {
                writer.write(record[0], record[1]);
            }
            writer.finish();
        });
        List<String[]> read = new ArrayList<>();
        try (IntermediateReader reader = new IntermediateReader(file)) {
            while (reader.next()) {
                read.add(new String[] {reader.key(), reader.value()});
            }
            assertFalse(reader.next());
        }
        assertEquals(records.size(), read.size());
        for (int i = 0; i < records.size(); i++) {
            assertTrue(Arrays.equals(records.get(i), read.get(i)), "record " + i);
        }
    }

    @Test
    void emptyFileHasNoRecords() throws IOException {
        Path file = dir.resolve("empty");
        AtomicFiles.write(file, out -> new IntermediateWriter(out).finish());
        try (IntermediateReader reader = new IntermediateReader(file)) {
            assertFalse(reader.next());
        }
    }

    @Test
    void writerRefusesKeysOutOfOrder() throws IOException {
        IntermediateWriter writer = new IntermediateWriter(new ByteArrayOutputStream());
        writer.write("b", "1");
        assertThrows(IllegalStateException.class, () -> writer.write("a", "1"));
    }

    @Test
    void truncatedFileIsDetected() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        IntermediateWriter writer = new IntermediateWriter(bytes);
        writer.write("alpha", "1");
        writer.write("beta", "2");
        writer.finish();
        byte[] whole = bytes.toByteArray();
        // Cut inside the trailer, inside a record, and right after the header: all must be reported.
        for (int cut : new int[] {whole.length - 3, whole.length - 16, 5}) {
            Path file = dir.resolve("cut-" + cut);
            Files.write(file, Arrays.copyOf(whole, cut));
            IOException e = assertThrows(IOException.class, () -> readAll(file));
            assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        }
    }

    @Test
    void foreignFileIsRejected() throws IOException {
        Path file = dir.resolve("mr-out-0");
        Files.writeString(file, "alpha 1\nbeta 2\n");
        IOException e = assertThrows(IOException.class, () -> readAll(file));
        assertTrue(e.getMessage().contains("not an intermediate file"), e.getMessage());
    }

    private static int readAll(Path file) throws IOException {
        int n = 0;
        try (IntermediateReader reader = new IntermediateReader(file)) {
            while (reader.next()) {
                n++;
            }
        }
        return n;
    }
}
