package io.raftkv.mapreduce.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir
    Path dir;

    @Test
    void replacesTheTargetWholeAndLeavesNoTempFile() throws IOException {
        Path target = dir.resolve("mr-out-0");
        Files.writeString(target, "old content\n");
        AtomicFiles.write(target, out -> out.write("new content\n".getBytes(StandardCharsets.UTF_8)));
        assertEquals("new content\n", Files.readString(target));
        assertEquals(List.of("mr-out-0"), names());
    }

    @Test
    void aFailedWriteKeepsTheOldTargetAndCleansUp() throws IOException {
        Path target = dir.resolve("mr-out-0");
        Files.writeString(target, "old content\n");
        IOException failure = assertThrows(IOException.class, () -> AtomicFiles.write(target, out -> {
            out.write("half of the new".getBytes(StandardCharsets.UTF_8));
            throw new IOException("disk on fire");
        }));
        assertEquals("disk on fire", failure.getMessage());
        assertEquals("old content\n", Files.readString(target));
        assertEquals(List.of("mr-out-0"), names());
    }

    @Test
    void tempFilesAreRecognisedAsJobFiles() {
        assertTrue(JobFiles.isJobFile(".mr-out-3.0123456789abcdef.tmp"));
        assertTrue(JobFiles.isJobFile("mr-12-3"));
        assertTrue(JobFiles.isJobFile("mr-out-7"));
        assertTrue(!JobFiles.isJobFile("mr-worker-jobcount-12-0"));
        assertTrue(!JobFiles.isJobFile("mr-out-7.txt"));
        assertTrue(!JobFiles.isJobFile("notes.txt"));
    }

    @Test
    void deletingJobFilesSparesOtherFiles() throws IOException {
        for (String name : List.of("mr-0-1", "mr-out-2", ".mr-out-2.abc.tmp", "input.txt", "mr-worker-map-1")) {
            Files.writeString(dir.resolve(name), "x");
        }
        assertEquals(3, JobFiles.deleteJobFiles(dir));
        assertEquals(List.of("input.txt", "mr-worker-map-1"), names());
    }

    private List<String> names() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
