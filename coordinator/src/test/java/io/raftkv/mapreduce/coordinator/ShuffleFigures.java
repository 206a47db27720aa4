package io.raftkv.mapreduce.coordinator;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The shuffle of a job without a shared directory, added up from its workers' logs: every reduce attempt logs the map
 * output bytes it fetched from other workers, those it read in place, and how long getting them took.
 */
record ShuffleFigures(long fetchedBytes, long ownBytes, long fetchMillis) {
    private static final Pattern LINE = Pattern.compile(
            "fetched (\\d+) bytes from other workers and checked (\\d+) bytes of its own in (\\d+) ms");

    long bytes() {
        return fetchedBytes + ownBytes;
    }

    static ShuffleFigures fromWorkerLogs(List<Path> logs) throws IOException {
        long fetched = 0;
        long own = 0;
        long millis = 0;
        for (Path log : logs) {
            Matcher line = LINE.matcher(Files.readString(log));
            while (line.find()) {
                fetched += Long.parseLong(line.group(1));
                own += Long.parseLong(line.group(2));
                millis += Long.parseLong(line.group(3));
            }
        }
        return new ShuffleFigures(fetched, own, millis);
    }
}
