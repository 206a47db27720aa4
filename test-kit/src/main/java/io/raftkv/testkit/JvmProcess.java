package io.raftkv.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A separate JVM started from a test: same java binary and (by default) the same class path as the test, its output
 * in a log file, and the faults tests need: SIGKILL, SIGTERM, SIGSTOP/SIGCONT.
 */
public final class JvmProcess implements AutoCloseable {
    private final String name;
    private final Process process;
    private final Path log;

    private JvmProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    /** A process that runs {@code mainClass}. */
    public static Builder builder(String mainClass) {
        return new Builder(mainClass);
    }

    public static Builder builder(Class<?> mainClass) {
        return new Builder(mainClass.getName());
    }

    public String name() {
        return name;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The file that holds the process's stdout and stderr. */
    public Path log() {
        return log;
    }

    /** Everything the process has printed so far. */
    public String output() {
        try {
            return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits for the process to exit and returns its exit code. */
    public int waitFor(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError(name + " did not exit within " + timeout + "; output:\n" + tail(40));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for " + name, e);
        }
        return process.exitValue();
    }

    /** SIGKILL: the process gets no chance to clean up, as in a crash or power loss of the process. */
    public void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** SIGTERM: a polite stop; shutdown hooks run. */
    public void terminate() {
        process.destroy();
    }

    /** SIGSTOP: the process freezes (as a long GC pause or a stalled VM would), holding its sockets open. */
    public void pause() {
        signal("STOP");
    }

    /** SIGCONT: a paused process carries on. */
    public void resume() {
        signal("CONT");
    }

    private void signal(String signal) {
        try {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid()))
                    .redirectErrorStream(true).start();
            if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -" + signal + " " + process.pid() + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The last {@code lines} lines of output, for failure messages. */
    public String tail(int lines) {
        List<String> all = output().lines().toList();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    /** Kills the process if it still runs. */
    @Override
    public void close() {
        if (process.isAlive()) {
            kill();
        }
    }

    @Override
    public String toString() {
        return name + "(pid " + process.pid() + ")";
    }

    /** Collects what the process needs. */
    public static final class Builder {
        private final String mainClass;
        private final List<String> args = new ArrayList<>();
        private final List<String> jvmArgs = new ArrayList<>(List.of(
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss1m"));
        private final Map<String, String> env = new LinkedHashMap<>();
        private String classpath = System.getProperty("java.class.path");
        private String name;
        private Path workDir;
        private Path log;

        private Builder(String mainClass) {
            this.mainClass = mainClass;
            this.name = mainClass.substring(mainClass.lastIndexOf('.') + 1);
        }

        public Builder name(String name) {
            this.name = name;
            return this;
        }

        public Builder args(String... values) {
            args.addAll(List.of(values));
            return this;
        }

        public Builder args(List<String> values) {
            args.addAll(values);
            return this;
        }

        public Builder jvmArgs(String... values) {
            jvmArgs.addAll(List.of(values));
            return this;
        }

        /** Runs with full JIT (the default stops at C1, which starts faster and suits short tests). */
        public Builder fullJit() {
            jvmArgs.remove("-XX:TieredStopAtLevel=1");
            return this;
        }

        public Builder classpath(String value) {
            this.classpath = value;
            return this;
        }

        public Builder env(String key, String value) {
            env.put(key, value);
            return this;
        }

        public Builder workDir(Path dir) {
            this.workDir = dir;
            return this;
        }

        /** Where stdout and stderr go (appended, so restarts of one node share a log). */
        public Builder log(Path file) {
            this.log = file;
            return this;
        }

        public JvmProcess start() {
            try {
                Path logFile = log != null ? log : Files.createTempFile("raftkv-" + name + "-", ".log");
                Files.createDirectories(logFile.toAbsolutePath().getParent());
                List<String> command = new ArrayList<>();
                command.add(javaBinary());
                command.addAll(jvmArgs);
                command.add("-cp");
                command.add(classpath);
                command.add(mainClass);
                command.addAll(args);
                ProcessBuilder builder = new ProcessBuilder(command)
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                        .redirectInput(ProcessBuilder.Redirect.from(nullDevice()));
                if (workDir != null) {
                    Files.createDirectories(workDir);
                    builder.directory(workDir.toFile());
                }
                builder.environment().putAll(env);
                return new JvmProcess(name, builder.start(), logFile);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start " + name, e);
            }
        }

        private static java.io.File nullDevice() {
            return new java.io.File("/dev/null");
        }

        /** The java binary of the JVM running the tests, so children use the same JDK. */
        private static String javaBinary() {
            return ProcessHandle.current().info().command()
                    .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        }
    }
}
