package io.raftkv.mapreduce.apps;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Counts how many tasks are inside the same phase at once: each announces itself with a marker file
 * {@code mr-worker-PHASE-PID-THREAD} in the shared directory (the thread tells a worker's slots apart), counts the
 * markers of live processes, stays for a second, and removes its marker. Used by the timing test apps.
 */
final class ParallelismProbe {
    private static final long STAY_MILLIS = 1_000;

    private ParallelismProbe() {}

    static int countParallel(Path dir, String phase) {
        long pid = ProcessHandle.current().pid();
        String prefix = "mr-worker-" + phase + "-";
        Path mine = dir.resolve(prefix + pid + "-" + Thread.currentThread().threadId());
        try {
            Files.writeString(mine, "x");
            int running = 0;
            try (DirectoryStream<Path> markers = Files.newDirectoryStream(dir, prefix + "*")) {
                for (Path marker : markers) {
                    String suffix = marker.getFileName().toString().substring(prefix.length());
                    if (isLive(suffix.split("-", 2)[0])) {
                        running++;
                    }
                }
            }
            Sleep.millis(STAY_MILLIS);
            Files.delete(mine);
            return running;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean isLive(String pidText) {
        if (pidText.isEmpty() || !pidText.chars().allMatch(Character::isDigit)) {
            return false;
        }
        try {
            return ProcessHandle.of(Long.parseLong(pidText)).map(ProcessHandle::isAlive).orElse(false);
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
