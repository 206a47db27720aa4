package io.raftkv.mapreduce.worker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Where a worker reads a map task's input split from ({@code --input-from}). */
public enum InputSource {
    /** This machine's copy at the coordinator's path when it has one of the same size, else the coordinator. */
    AUTO,
    /** This machine's copy only: a task whose input file is missing here fails. */
    LOCAL,
    /** Always the coordinator (ReadInput), even when a local copy exists. */
    COORDINATOR;

    /** Whether to read {@code input} (of {@code expectedSize} bytes on the coordinator) from this machine's disk. */
    boolean readsLocally(Path input, long expectedSize) throws IOException {
        return switch (this) {
            case LOCAL -> true;
            case COORDINATOR -> false;
            case AUTO -> Files.isRegularFile(input) && Files.size(input) == expectedSize;
        };
    }
}
