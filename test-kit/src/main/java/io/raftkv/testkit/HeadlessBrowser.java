package io.raftkv.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Headless Chromium, to test a page as a person's browser shows it: the DOM after the page's scripts ran for a while
 * (Chromium's virtual time: timers fire at once, fetches complete for real), or a screenshot.
 */
public final class HeadlessBrowser {
    private static final List<String> NAMES = List.of("chromium", "chromium-browser", "google-chrome");

    private final Path binary;

    private HeadlessBrowser(Path binary) {
        this.binary = binary;
    }

    /** The first Chromium on the PATH, if any. */
    public static Optional<HeadlessBrowser> find() {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String name : NAMES) {
            for (String dir : path.split(java.io.File.pathSeparator)) {
                Path candidate = Path.of(dir, name);
                if (Files.isExecutable(candidate)) {
                    return Optional.of(new HeadlessBrowser(candidate));
                }
            }
        }
        return Optional.empty();
    }

    /**
     * The browser a test needs, or empty when there is none (the test skips itself); an AssertionError instead under
     * {@code RAFTKV_REQUIRE_TOOLS=1}, as CI sets, where a skip would hide a test that never ran.
     */
    public static Optional<HeadlessBrowser> forTest() {
        Optional<HeadlessBrowser> found = find();
        String required = System.getenv("RAFTKV_REQUIRE_TOOLS");
        if (found.isEmpty() && required != null
                && (required.strip().equals("1") || required.strip().equalsIgnoreCase("true"))) {
            throw new AssertionError("RAFTKV_REQUIRE_TOOLS=1 but there is no chromium on the PATH");
        }
        return found;
    }

    /** The page's DOM, serialized, after its scripts ran for {@code scriptTime} of virtual time. */
    public String dumpDom(String url, Duration scriptTime) throws IOException, InterruptedException {
        return run(List.of("--dump-dom", url), scriptTime);
    }

    /** Saves a PNG of the page as a 1280x900 window shows it after {@code scriptTime}. */
    public void screenshot(String url, Path png, Duration scriptTime) throws IOException, InterruptedException {
        Files.createDirectories(png.toAbsolutePath().getParent());
        run(List.of("--window-size=1280,900", "--screenshot=" + png.toAbsolutePath(), url), scriptTime);
        if (!Files.isRegularFile(png) || Files.size(png) == 0) {
            throw new IOException("chromium wrote no screenshot to " + png);
        }
    }

    private String run(List<String> what, Duration scriptTime) throws IOException, InterruptedException {
        Path profile = Files.createTempDirectory("raftkv-chromium");
        try {
            List<String> command = new ArrayList<>(List.of(binary.toString(), "--headless", "--no-sandbox",
                    "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--hide-scrollbars",
                    "--user-data-dir=" + profile, "--virtual-time-budget=" + scriptTime.toMillis()));
            command.addAll(what);
            Path output = profile.resolve("stdout");
            Process process = new ProcessBuilder(command).redirectOutput(output.toFile())
                    .redirectError(profile.resolve("stderr").toFile()).start();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
                throw new IOException("chromium did not finish within 60 s: " + command);
            }
            if (process.exitValue() != 0) {
                throw new IOException("chromium exited " + process.exitValue() + ": "
                        + Files.readString(profile.resolve("stderr"), StandardCharsets.UTF_8));
            }
            return Files.readString(output, StandardCharsets.UTF_8);
        } finally {
            deleteQuietly(profile);
        }
    }

    /** Chromium's throw-away profile: deleted best-effort (a file it still writes as it exits is left behind). */
    private static void deleteQuietly(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | java.io.UncheckedIOException e) {
            // a temp directory left behind
        }
    }
}
