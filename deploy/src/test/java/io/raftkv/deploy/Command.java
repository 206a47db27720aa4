package io.raftkv.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a host command to completion within a time limit, with its output (stdout and stderr merged) captured. */
final class Command {
    private Command() {}

    record Result(List<String> command, int exitCode, String output) {
        /** The result, or an AssertionError showing the command and its output when it did not exit 0. */
        Result requireSuccess() {
            if (exitCode != 0) {
                throw new AssertionError(String.join(" ", command) + " exited " + exitCode + ":\n" + output);
            }
            return this;
        }
    }

    static Result run(Duration timeout, List<String> command) {
        return run(timeout, Map.of(), command);
    }

    static Result run(Duration timeout, Map<String, String> environment, List<String> command) {
        Path output = null;
        try {
            output = Files.createTempFile("raftkv-command", ".log");
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(output.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            builder.environment().putAll(environment);
            Process process = builder.start();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError(String.join(" ", command) + " did not finish within " + timeout + ":\n"
                        + Files.readString(output, StandardCharsets.UTF_8));
            }
            return new Result(command, process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AssertionError("cannot run " + String.join(" ", command) + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while running " + String.join(" ", command), e);
        } finally {
            if (output != null) {
                try {
                    Files.deleteIfExists(output);
                } catch (IOException ignored) {
                    // A leftover temp file is harmless.
                }
            }
        }
    }

    /** True if {@code program} answers {@code args} with exit code 0 within 20 seconds. */
    static boolean works(List<String> command) {
        try {
            return run(Duration.ofSeconds(20), command).exitCode() == 0;
        } catch (AssertionError e) {
            return false;
        }
    }
}
