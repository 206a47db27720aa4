package io.raftkv.mapreduce.cli;

import io.raftkv.common.cli.StartupException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Checks input files named on a command line before any work starts. */
public final class InputFiles {
    private InputFiles() {}

    /** Throws a one-line {@link StartupException} naming every input that is missing or unreadable. */
    public static void check(List<String> inputs) {
        if (inputs == null || inputs.isEmpty()) {
            throw new StartupException("no input files given");
        }
        List<String> missing = new ArrayList<>();
        List<String> unusable = new ArrayList<>();
        for (String input : inputs) {
            Path path;
            try {
                path = Path.of(input);
            } catch (InvalidPathException e) {
                unusable.add(input + " (invalid path)");
                continue;
            }
            if (!Files.exists(path)) {
                missing.add(input);
            } else if (!Files.isRegularFile(path)) {
                unusable.add(input + " (not a regular file)");
            } else if (!Files.isReadable(path)) {
                unusable.add(input + " (not readable)");
            }
        }
        if (!missing.isEmpty()) {
            throw new StartupException((missing.size() == 1 ? "input file not found: " : "input files not found: ")
                    + String.join(", ", missing));
        }
        if (!unusable.isEmpty()) {
            throw new StartupException("unusable input: " + String.join(", ", unusable));
        }
    }
}
