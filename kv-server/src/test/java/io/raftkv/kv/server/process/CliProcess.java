package io.raftkv.kv.server.process;

import io.raftkv.testkit.JvmProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/** Runs a command-line tool (kv, shardctl) as its own JVM, one log file per run under a directory. */
final class CliProcess {
    /** What one run printed (stdout and stderr, interleaved) and its exit code. */
    record Run(int exitCode, String output) {}

    /** Numbers every run in this JVM, so that no run's log replaces another's. */
    private static final AtomicInteger RUNS = new AtomicInteger();

    private final Class<?> main;
    private final String name;
    private final String environmentVariable;
    private final Path logDir;

    /** @param environmentVariable where the tool reads its cluster addresses from (KV_CLUSTER, KV_CONTROLLER) */
    CliProcess(Class<?> main, String name, String environmentVariable, Path logDir) {
        this.main = main;
        this.name = name;
        this.environmentVariable = environmentVariable;
        this.logDir = logDir;
    }

    /** Runs the tool with {@code cluster} in its environment variable; waits up to 90 s for it to exit. */
    Run run(String cluster, String... args) {
        try (JvmProcess process = JvmProcess.builder(main).name(name).args(args).env(environmentVariable, cluster)
                .log(logDir.resolve(name + "-" + RUNS.incrementAndGet() + ".log")).start()) {
            int code = process.waitFor(Duration.ofSeconds(90));
            return new Run(code, process.output());
        }
    }
}
