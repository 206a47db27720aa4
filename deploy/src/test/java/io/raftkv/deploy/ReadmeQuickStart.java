package io.raftkv.deploy;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The shell blocks of README.md's "Quick start" section, read from the file itself so that the doc and its tests
 * cannot drift, and run as a person would paste them: in one bash, from the project root, stopping at the first
 * failing command. Lines that start with {@code ./mvnw} are left out: the build running the test has made the jars.
 */
final class ReadmeQuickStart {
    private static final String SECTION = "## Quick start";

    private ReadmeQuickStart() {}

    /** The section's {@code ```sh} blocks, in order, each as its lines. */
    static List<List<String>> blocks() {
        List<String> lines;
        try {
            lines = Files.readAllLines(Project.root().resolve("README.md"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int start = lines.indexOf(SECTION);
        if (start < 0) {
            throw new AssertionError("README.md has no '" + SECTION + "' section");
        }
        List<List<String>> blocks = new ArrayList<>();
        List<String> block = null;
        for (String line : lines.subList(start + 1, lines.size())) {
            if (line.startsWith("## ")) {
                break;
            }
            if (block == null && line.equals("```sh")) {
                block = new ArrayList<>();
            } else if (block != null && line.equals("```")) {
                blocks.add(List.copyOf(block));
                block = null;
            } else if (block != null) {
                block.add(line);
            }
        }
        return blocks;
    }

    /** The first block with a line starting with {@code marker}, without its {@code ./mvnw} lines. */
    static List<String> blockWith(String marker) {
        return blocks().stream().filter(lines -> lines.stream().anyMatch(line -> line.startsWith(marker)))
                .findFirst()
                .map(lines -> lines.stream().filter(line -> !line.startsWith("./mvnw")).toList())
                .orElseThrow(() -> new AssertionError("no quick-start block in README.md runs " + marker));
    }

    /** Runs the blocks in one bash with -e (and -x, so the output shows which line failed), from the project root. */
    static Command.Result run(Duration timeout, Map<String, String> environment, List<List<String>> blocks) {
        String script = "set -euxo pipefail\n" + blocks.stream().map(lines -> String.join("\n", lines))
                .collect(Collectors.joining("\n")) + "\n";
        return Command.run(timeout, environment, List.of("bash", "-c", "cd " + quoted(Project.root()) + " && "
                + "bash -c " + quoted(script)));
    }

    /** Skips the test when {@code dir} under the project root already exists: it may hold the reader's own cluster. */
    static void assumeAbsent(String dir) {
        assumeTrue(!Files.exists(Project.root().resolve(dir)),
                Project.root().resolve(dir) + " exists (your own cluster?); the quick-start test leaves it alone");
    }

    private static String quoted(Object text) {
        return "'" + text.toString().replace("'", "'\\''") + "'";
    }

    /** Lines of output that are the commands' own (bash -x traces start with '+'). */
    static List<String> outputLines(Command.Result result) {
        return Arrays.stream(result.output().split("\n")).filter(line -> !line.startsWith("+")).toList();
    }
}
