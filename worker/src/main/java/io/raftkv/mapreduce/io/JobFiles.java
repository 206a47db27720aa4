package io.raftkv.mapreduce.io;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * The names of a job's files in its work directory: map task X writes {@code mr-X-Y} for each reduce partition Y,
 * reduce task Y writes {@code mr-out-Y}; {@code mr-X-Y.crc} holds the checksum of {@code mr-X-Y}. Files being written are hidden temp files ({@code .mr-...tmp}) until
 * renamed.
 */
public final class JobFiles {
    private static final Pattern JOB_FILE = Pattern.compile("mr-(\\d+-\\d+(\\.crc)?|out-\\d+)|\\.mr-.*\\.tmp");

    private JobFiles() {}

    public static Path intermediate(Path workDir, int mapTask, int partition) {
        return workDir.resolve("mr-" + mapTask + "-" + partition);
    }

    public static Path output(Path workDir, int partition) {
        return workDir.resolve("mr-out-" + partition);
    }

    /** Whether a file name is one this framework writes (intermediate, output, or an abandoned temp file). */
    public static boolean isJobFile(String fileName) {
        return JOB_FILE.matcher(fileName).matches();
    }

    /** Deletes the job files a previous job left in {@code workDir}; returns how many. */
    public static int deleteJobFiles(Path workDir) throws IOException {
        int deleted = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(workDir)) {
            for (Path file : files) {
                if (isJobFile(file.getFileName().toString()) && Files.isRegularFile(file)) {
                    Files.deleteIfExists(file);
                    deleted++;
                }
            }
        }
        return deleted;
    }
}
