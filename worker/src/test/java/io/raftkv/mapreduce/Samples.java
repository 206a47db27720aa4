package io.raftkv.mapreduce;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The sample texts in the repository's {@code samples/} folder. */
public final class Samples {
    private Samples() {}

    public static Path dir() {
        String root = System.getProperty("raftkv.projectRoot");
        Path base = root != null ? Path.of(root) : Path.of("..");
        Path samples = base.resolve("samples").toAbsolutePath().normalize();
        if (!Files.isDirectory(samples)) {
            throw new IllegalStateException("sample folder not found: " + samples);
        }
        return samples;
    }

    /** Absolute paths of the sample texts, sorted by name. */
    public static List<Path> texts() {
        try (Stream<Path> files = Files.list(dir())) {
            return files.filter(p -> p.getFileName().toString().endsWith(".txt")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
