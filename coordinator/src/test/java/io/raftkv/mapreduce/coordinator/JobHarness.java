package io.raftkv.mapreduce.coordinator;

import io.raftkv.mapreduce.app.AppRegistry;
import io.raftkv.mapreduce.app.AppSpec;
import io.raftkv.mapreduce.io.JobFiles;
import io.raftkv.mapreduce.sequential.SequentialRunner;
import io.raftkv.mapreduce.worker.WorkerMain;
import io.raftkv.testkit.Eventually;
import io.raftkv.testkit.JvmProcess;
import io.raftkv.testkit.Ports;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One MapReduce job run as separate JVMs: a coordinator and any number of workers, all on loopback, sharing a work
 * directory. Closing the harness kills whatever still runs.
 */
final class JobHarness implements AutoCloseable {
    static final Duration JOB_DEADLINE = Duration.ofSeconds(120);
    static final Duration STARTUP = Duration.ofSeconds(60);
    static final Duration GIVE_UP = Duration.ofSeconds(20);
    /** Longer than a worker's give-up time, so a worker left with a superseded copy has time to exit. */
    static final Duration WORKER_EXIT = Duration.ofSeconds(60);

    private final Path dir;
    private final Path workDir;
    private final int port = Ports.freePort();
    private final List<JvmProcess> processes = new ArrayList<>();
    private final AtomicInteger workerCount = new AtomicInteger();
    private final List<String> appArgs;
    private JvmProcess coordinator;

    /** @param appArgs how coordinator and workers name the app, e.g. {@code --app wc} */
    JobHarness(Path dir, String... appArgs) {
        this.dir = dir;
        this.workDir = dir.resolve("work");
        this.appArgs = List.of(appArgs);
    }

    Path workDir() {
        return workDir;
    }

    int port() {
        return port;
    }

    JvmProcess coordinator() {
        return coordinator;
    }

    /** Starts the coordinator with the given options (besides port, app and work dir) and inputs. */
    JvmProcess startCoordinator(List<String> options, List<Path> inputs) {
        List<String> args = new ArrayList<>(List.of("--host", "127.0.0.1", "--port", Integer.toString(port),
                "--work-dir", workDir.toString()));
        args.addAll(appArgs);
        args.addAll(options);
        inputs.forEach(input -> args.add(input.toString()));
        coordinator = JvmProcess.builder(CoordinatorMain.class).name("coordinator").args(args)
                .log(dir.resolve("coordinator.log")).start();
        processes.add(coordinator);
        // Workers then start against a listening coordinator, so their give-up time need not cover its start-up.
        Eventually.await("the coordinator to listen", STARTUP, () -> {
            if (!coordinator.isAlive()) {
                throw new AssertionError("the coordinator exited early:\n" + coordinator.tail(20));
            }
            return coordinator.output().contains("workers connect to port");
        });
        return coordinator;
    }

    /** Starts a worker named {@code worker-N} with extra environment variables. */
    JvmProcess startWorker(Map<String, String> env, String... extraArgs) {
        String name = "worker-" + workerCount.incrementAndGet();
        List<String> args = new ArrayList<>(List.of("--coordinator", "127.0.0.1:" + port, "--id", name));
        args.addAll(appArgs);
        args.addAll(List.of(extraArgs));
        if (!args.contains("--slots")) {
            // The lab's scenarios (a worker killed inside a task, task counts per worker) assume one task per
            // worker process; tests of slots ask for more.
            args.addAll(List.of("--slots", "1"));
        }
        if (!args.contains("--give-up-after")) {
            // A cold JVM on a machine shared with other builds can take seconds to make its first connection.
            args.addAll(List.of("--give-up-after", GIVE_UP.toSeconds() + "s"));
        }
        JvmProcess.Builder builder = JvmProcess.builder(WorkerMain.class).name(name).args(args)
                .log(dir.resolve(name + ".log"));
        env.forEach(builder::env);
        JvmProcess worker = builder.start();
        processes.add(worker);
        return worker;
    }

    JvmProcess startWorker(String... extraArgs) {
        return startWorker(Map.of(), extraArgs);
    }

    /** Waits for the coordinator to finish the job and asserts it succeeded. */
    void awaitSuccess() {
        int code = coordinator.waitFor(JOB_DEADLINE);
        if (code != 0) {
            throw new AssertionError("coordinator exited with " + code + ":\n" + coordinator.tail(60));
        }
    }

    /** All lines of every {@code mr-out-*} file, sorted. */
    List<String> sortedOutput() {
        return sortedOutput(workDir);
    }

    static List<String> sortedOutput(Path dir) {
        List<String> lines = new ArrayList<>();
        try (DirectoryStream<Path> outputs = Files.newDirectoryStream(dir, "mr-out-*")) {
            for (Path output : outputs) {
                lines.addAll(Files.readAllLines(output));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        lines.sort(null);
        return lines;
    }

    /** The sorted output of the sequential reference run of an app over the same inputs. */
    List<String> sequentialOutput(AppSpec app, List<Path> inputs) throws Exception {
        Path out = Files.createDirectories(dir.resolve("sequential"));
        SequentialRunner.run(AppRegistry.create(app), inputs.stream().map(Path::toString).toList(), out);
        List<String> lines = new ArrayList<>(Files.readAllLines(JobFiles.output(out, 0)));
        lines.sort(null);
        return lines;
    }

    /** Whether any file whose name starts with {@code prefix} exists in the work directory. */
    boolean hasFileStartingWith(String prefix) {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(workDir, prefix + "*")) {
            return files.iterator().hasNext();
        } catch (IOException e) {
            return false;
        }
    }

    /** Everything the processes printed, for failure messages. */
    String logs() {
        StringBuilder all = new StringBuilder();
        for (JvmProcess process : processes) {
            all.append("----- ").append(process.name()).append('\n').append(process.tail(40)).append('\n');
        }
        return all.toString();
    }

    @Override
    public void close() {
        for (JvmProcess process : processes) {
            process.close();
        }
    }
}
