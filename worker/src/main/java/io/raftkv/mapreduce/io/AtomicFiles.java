package io.raftkv.mapreduce.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;

/**
 * Writes a file so that readers see either nothing or the whole file: the content goes to a hidden temp file in the
 * same directory, is forced to disk ({@link #write}; {@link #writeWithoutSync} skips that), and is then renamed over
 * the target. A process that dies half way leaves only a temp file behind, never a partial target.
 */
public final class AtomicFiles {
    /** Writes the content through the given stream; the stream is closed by {@link #write}. */
    @FunctionalInterface
    public interface Body {
        void writeTo(OutputStream out) throws IOException;
    }

    private AtomicFiles() {}

    /** Writes the target and forces it to disk before the rename, so it survives a machine crash. */
    public static void write(Path target, Body body) throws IOException {
        write(target, body, true);
    }

    /**
     * Writes the target with the same atomic rename but without forcing it to disk: for files that are re-created
     * anyway when they are lost. A process crash still leaves no partial target (the rename comes after the last
     * write); only a crash of the whole machine can leave one, cut or empty, behind.
     */
    public static void writeWithoutSync(Path target, Body body) throws IOException {
        write(target, body, false);
    }

    private static void write(Path target, Body body, boolean sync) throws IOException {
        try (AtomicFileWriter writer = new AtomicFileWriter(target)) {
            body.writeTo(writer.stream());
            writer.commit(sync);
        }
    }
}
