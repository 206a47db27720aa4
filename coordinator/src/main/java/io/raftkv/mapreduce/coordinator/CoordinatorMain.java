package io.raftkv.mapreduce.coordinator;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.raftkv.common.cli.ExitCodes;
import io.raftkv.common.cli.Mains;
import io.raftkv.common.cli.StartupException;
import io.raftkv.common.grpc.GrpcServer;
import io.raftkv.common.metrics.Metrics;
import io.raftkv.common.metrics.MetricsEndpoint;
import io.raftkv.mapreduce.app.AppSpec;
import io.raftkv.mapreduce.cli.AppOptions;
import io.raftkv.common.cli.DurationConverter;
import io.raftkv.mapreduce.cli.InputFiles;
import io.raftkv.mapreduce.io.JobFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code mr-coordinator}: runs one MapReduce job with workers that connect over gRPC, then exits. */
@Command(name = "mr-coordinator", sortOptions = false, usageHelpAutoWidth = true,
        description = {
            "Runs one MapReduce job: one map task per input split (a file, or a --split-size piece of a larger"
                    + " one) and R reduce tasks, handed out to mr-worker"
                    + " processes that connect to --port. Reduce tasks start once every map task is done; a task"
                    + " not reported within --task-timeout goes to another worker; near the end of a phase,"
                    + " stragglers get backup copies. Prints where the output is and exits once the job is done.",
            ""})
public final class CoordinatorMain implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(CoordinatorMain.class);
    private static final long POLL_MILLIS = 200;
    private static final Duration MAX_LINGER = Duration.ofSeconds(5);

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "${env:MR_PORT:-7070}",
            description = "The gRPC port workers connect to; 0 picks a free one (default: ${DEFAULT-VALUE},"
                    + " env MR_PORT).")
    int port;

    @Option(names = "--host", paramLabel = "HOST", defaultValue = "0.0.0.0",
            description = "The address to listen on (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--reduces", paramLabel = "R", defaultValue = "10",
            description = "Number of reduce tasks, and of output files mr-out-0 .. mr-out-(R-1)"
                    + " (default: ${DEFAULT-VALUE}).")
    int reduces;

    @Mixin
    AppOptions appOptions;

    @Option(names = "--split-size", paramLabel = "SIZE", converter = ByteSize.class, defaultValue = "64MiB",
            description = "Cut input files larger than this into splits of this size, one map task each; a split"
                    + " reads the whole lines that start in it (default: ${DEFAULT-VALUE}; e.g. 512k, 1m, 1g).")
    long splitSize;

    @Option(names = "--work-dir", paramLabel = "DIR", defaultValue = "${env:MR_WORK_DIR:-.}",
            description = "Where the output files mr-out-* go: workers stream them here. Job files of an earlier"
                    + " run there are deleted (default: the current directory, env MR_WORK_DIR).")
    Path workDir;

    @Option(names = "--shared-work-dir", negatable = false,
            description = "Every worker sees --work-dir at the same path (a shared filesystem): map outputs and"
                    + " output files are written there directly, nothing is served over the network. Without it,"
                    + " map outputs stay on each worker's local disk and reduce workers fetch them from there.")
    boolean sharedWorkDir;

    @Option(names = "--task-timeout", paramLabel = "DURATION", converter = DurationConverter.class,
            defaultValue = "10s",
            description = "Hand a task to another worker when an attempt is not reported within this time"
                    + " (default: ${DEFAULT-VALUE}).")
    Duration taskTimeout;

    @Option(names = "--no-backup-tasks", negatable = false,
            description = "Do not start backup copies of straggling tasks near the end of a phase.")
    boolean noBackupTasks;

    @Option(names = "--max-task-failures", paramLabel = "N", defaultValue = "4",
            description = "Abort the job when attempts of one task fail (report an error) N times"
                    + " (default: ${DEFAULT-VALUE}).")
    int maxTaskFailures;

    @Option(names = "--metrics-port", paramLabel = "PORT", defaultValue = "${env:MR_METRICS_PORT}",
            description = "Serve Prometheus metrics at http://HOST:PORT/metrics (env MR_METRICS_PORT). Off unless"
                    + " given.")
    Integer metricsPort;

    @Parameters(paramLabel = "INPUT_FILE", arity = "1..*",
            description = "The input files: one map task per --split-size piece.")
    List<String> inputs;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    public static void main(String[] args) {
        Mains.run(new CoordinatorMain(), args);
    }

    @Override
    public Integer call() throws Exception {
        Job job = validate();
        LongSupplier clock = System::nanoTime;
        Scheduler scheduler = new Scheduler(job.splits().size(), job.reduces(),
                SchedulerConfig.of(taskTimeout, !noBackupTasks, maxTaskFailures));
        PrometheusMeterRegistry registry = Metrics.newRegistry("mr-coordinator", "job-" + job.id());
        CoordinatorMetrics metrics = new CoordinatorMetrics(registry, scheduler, clock);

        GrpcServer server = GrpcServer.builder(host, port)
                .description("coordinator port")
                .addService(new CoordinatorService(job, scheduler, clock, metrics))
                .intercept(new PeerAddress())
                .start();
        MetricsEndpoint metricsEndpoint = null;
        try {
            if (metricsPort != null) {
                metricsEndpoint = MetricsEndpoint.start(host, metricsPort, registry,
                        new CoordinatorStatus(job, scheduler, clock));
            }
            int stale = JobFiles.deleteJobFiles(job.workDir());
            if (stale > 0) {
                log.info("deleted {} files of an earlier job from {}", stale, job.workDir());
            }
            log.info("job {}: app {}, {} map tasks ({} input files, split size {} bytes), {} reduce tasks,"
                    + " work dir {} ({}); workers connect to port {}{}", job.id(), appOptions.spec(),
                    job.splits().size(), inputs.size(), splitSize, job.reduces(), job.workDir(),
                    job.sharedWorkDir() ? "shared with the workers" : "map outputs stay on the workers",
                    server.port(),
                    metricsEndpoint == null ? "" : ", metrics and the status page on port " + metricsEndpoint.port());
            long started = System.nanoTime();
            JobSnapshot end = awaitEnd(scheduler, clock);
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            linger(scheduler, clock);
            log.info("job {} {} after {} ms: {} re-assignments, {} backup copies, {} failed and {} timed-out"
                    + " attempts, {} map tasks re-run for lost outputs", job.id(), end.done() ? "done" : "aborted",
                    took.toMillis(), end.reassignments(), end.backups(), end.failures(), end.timeouts(),
                    end.lostMapOutputs());
            if (!end.done()) {
                System.err.println("error: job aborted: " + end.abortReason());
                return ExitCodes.FAILURE;
            }
            System.out.println("output: " + JobFiles.output(job.workDir(), 0)
                    + (job.reduces() > 1 ? " .. " + JobFiles.output(job.workDir(), job.reduces() - 1) : ""));
            return ExitCodes.OK;
        } finally {
            server.close();
            if (metricsEndpoint != null) {
                metricsEndpoint.close();
            }
        }
    }

    /** Checks every argument before anything is bound or written; each problem is a one-line error. */
    private Job validate() throws IOException {
        if (reduces < 1) {
            throw new StartupException("--reduces must be at least 1, was " + reduces);
        }
        if (taskTimeout.isNegative() || taskTimeout.isZero()) {
            throw new StartupException("--task-timeout must be positive, was " + taskTimeout);
        }
        if (maxTaskFailures < 1) {
            throw new StartupException("--max-task-failures must be at least 1, was " + maxTaskFailures);
        }
        if (splitSize > InputSplits.MAX_SPLIT_SIZE) {
            throw new StartupException("--split-size must be at most 1GiB (a split is held in memory as one"
                    + " string), was " + splitSize + " bytes");
        }
        if (port < 0 || port > 65_535) {
            throw new StartupException("--port " + port + " is outside 0..65535");
        }
        InputFiles.check(inputs);
        AppSpec spec = appOptions.spec();
        appOptions.load();
        Path dir = workDir.toAbsolutePath().normalize();
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new StartupException("work directory " + dir + " is not a directory");
        }
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new StartupException("cannot create work directory " + dir + ": " + e.getMessage());
        }
        if (!Files.isWritable(dir)) {
            throw new StartupException("work directory " + dir + " is not writable");
        }
        List<Job.Split> splits = new ArrayList<>();
        for (String input : inputs) {
            Path path = Path.of(input).toAbsolutePath().normalize();
            splits.addAll(InputSplits.of(input, path, Files.size(path), splitSize));
        }
        String jobId = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        return new Job(jobId, spec.id(), dir, sharedWorkDir, splits, reduces);
    }

    private static JobSnapshot awaitEnd(Scheduler scheduler, LongSupplier clock) throws InterruptedException {
        try (ProgressDisplay progress = ProgressDisplay.forConsole()) {
            while (true) {
                JobSnapshot snapshot = scheduler.snapshot(clock.getAsLong());
                progress.show(snapshot);
                if (snapshot.ended()) {
                    return snapshot;
                }
                Thread.sleep(POLL_MILLIS);
            }
        }
    }

    /**
     * Keeps answering for a few seconds at most, so that workers polling for work, or finishing a copy of a task
     * that another copy completed first, hear from the coordinator that the job ended rather than find it gone.
     */
    private static void linger(Scheduler scheduler, LongSupplier clock) throws InterruptedException {
        long deadline = System.nanoTime() + MAX_LINGER.toNanos();
        while (System.nanoTime() < deadline && scheduler.snapshot(clock.getAsLong()).workersAwaitingEnd() > 0) {
            Thread.sleep(20);
        }
    }
}
