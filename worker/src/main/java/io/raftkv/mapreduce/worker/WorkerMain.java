package io.raftkv.mapreduce.worker;

import io.raftkv.common.io.FileTrees;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.raftkv.common.cli.ExitCodes;
import io.raftkv.common.cli.HostPort;
import io.raftkv.common.cli.Mains;
import io.raftkv.common.cli.StartupException;
import io.raftkv.common.grpc.GrpcServer;
import io.raftkv.common.metrics.Metrics;
import io.raftkv.common.metrics.MetricsEndpoint;
import io.raftkv.mapreduce.app.AppSpec;
import io.raftkv.mapreduce.app.MapReduceApp;
import io.raftkv.mapreduce.cli.AppOptions;
import io.raftkv.common.cli.DurationConverter;
import io.raftkv.proto.mapreduce.TaskRequest;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code mr-worker}: runs MapReduce tasks handed out by a coordinator until the job is over. */
@Command(name = "mr-worker", sortOptions = false, usageHelpAutoWidth = true,
        description = {
            "Asks the coordinator for map and reduce tasks, runs them with the given app and reports back, up to"
                    + " --slots tasks at a time, until the coordinator says the job is done (exit 0) or has been"
                    + " unreachable for --give-up-after. Unless the coordinator runs with --shared-work-dir, nothing"
                    + " needs to be shared: the worker keeps its map outputs in --local-dir and serves them to the"
                    + " other workers on --shuffle-port, reads input files it cannot see from the coordinator, and"
                    + " sends reduce output to the coordinator.",
            ""})
public final class WorkerMain implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(WorkerMain.class);

    @Option(names = "--coordinator", paramLabel = "HOST:PORT", converter = HostPort.Converter.class,
            defaultValue = "${env:MR_COORDINATOR}", description = "The coordinator's address (env MR_COORDINATOR).")
    HostPort coordinator;

    @Mixin
    AppOptions appOptions;

    @Option(names = "--give-up-after", paramLabel = "DURATION", converter = DurationConverter.class,
            defaultValue = "5s",
            description = "Exit once the coordinator has been unreachable this long (default: ${DEFAULT-VALUE}).")
    Duration giveUpAfter;

    @Option(names = "--slots", paramLabel = "N",
            description = "Run up to N tasks at once, each in its own thread (default: the number of processors,"
                    + " here ${sys:raftkv.processors}).")
    Integer slots;

    @Option(names = "--local-dir", paramLabel = "DIR", defaultValue = "${env:MR_LOCAL_DIR}",
            description = "Where to keep map outputs and fetched partitions (env MR_LOCAL_DIR; default: a new"
                    + " temporary directory). Job files here are deleted when the worker exits.")
    Path localDir;

    @Option(names = "--shuffle-port", paramLabel = "PORT", defaultValue = "${env:MR_SHUFFLE_PORT:-0}",
            description = "The port this worker serves its map outputs on (default: any free port, env"
                    + " MR_SHUFFLE_PORT).")
    int shufflePort;

    @Option(names = "--advertise-host", paramLabel = "HOST", defaultValue = "${env:MR_ADVERTISE_HOST}",
            description = "The host other workers reach this worker's map outputs at (env MR_ADVERTISE_HOST;"
                    + " default: the address the coordinator sees this worker's requests come from).")
    String advertiseHost;

    @Option(names = "--input-from", paramLabel = "auto|local|coordinator", defaultValue = "auto",
            description = "Where to read input splits: 'local' reads the file at the coordinator's path on this"
                    + " machine, 'coordinator' always streams the split from the coordinator, 'auto' (default) reads"
                    + " the local file when it exists with the coordinator's size and streams the split otherwise.")
    InputSource inputFrom;

    @Option(names = "--id", paramLabel = "ID", description = "This worker's name in logs (default: HOST-PID).")
    String id;

    @Option(names = "--metrics-port", paramLabel = "PORT", defaultValue = "${env:MR_WORKER_METRICS_PORT}",
            description = "Serve Prometheus metrics at http://0.0.0.0:PORT/metrics (env MR_WORKER_METRICS_PORT)."
                    + " Off unless given.")
    Integer metricsPort;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    public static void main(String[] args) {
        System.setProperty("raftkv.processors", Integer.toString(Runtime.getRuntime().availableProcessors()));
        Mains.run(new WorkerMain(), args);
    }

    @Override
    public Integer call() {
        if (coordinator == null) {
            throw new StartupException("no coordinator given: use --coordinator HOST:PORT");
        }
        if (giveUpAfter.isNegative() || giveUpAfter.isZero()) {
            throw new StartupException("--give-up-after must be positive");
        }
        int slotCount = slots != null ? slots : Runtime.getRuntime().availableProcessors();
        if (slotCount < 1) {
            throw new StartupException("--slots must be at least 1, was " + slotCount);
        }
        AppSpec spec = appOptions.spec();
        // One instance per slot: an app instance runs one task at a time, so apps need no locking.
        List<MapReduceApp> apps = new ArrayList<>(slotCount);
        for (int i = 0; i < slotCount; i++) {
            apps.add(appOptions.load());
        }
        String workerId = id != null ? id : defaultId();
        if (shufflePort < 0 || shufflePort > 65_535) {
            throw new StartupException("--shuffle-port " + shufflePort + " is outside 0..65535");
        }
        PrometheusMeterRegistry registry = Metrics.newRegistry("mr-worker", workerId);
        MetricsEndpoint endpoint = metricsPort == null ? null : MetricsEndpoint.start("0.0.0.0", metricsPort,
                registry);
        Path temporary = null;
        try {
            Path root = localDir;
            if (root == null) {
                temporary = Files.createTempDirectory("mr-worker-");
                root = temporary;
            }
            try (LocalStore store = openStore(root);
                    GrpcServer shuffle = GrpcServer.builder("0.0.0.0", shufflePort)
                            .description("shuffle port (--shuffle-port)")
                            .addService(new MapOutputService(store, registry))
                            .start();
                    CoordinatorClient client = new CoordinatorClient(coordinator, giveUpAfter)) {
                log.info("worker {} running app {} in {} slots for coordinator {}; map outputs in {}, served on port"
                        + " {}", workerId, spec, slotCount, coordinator, store.root(), shuffle.port());
                TaskRequest base = TaskRequest.newBuilder().setWorkerId(workerId).setApp(spec.id())
                        .setShuffleHost(advertiseHost == null ? "" : advertiseHost)
                        .setShufflePort(shuffle.port())
                        .build();
                return new Worker(apps, base, client, new WorkerMetrics(registry), store, inputFrom).run();
            }
        } catch (CoordinatorClient.CoordinatorGoneException e) {
            if (e.everReached()) {
                // The coordinator exits soon after the job is done; a worker that was busy then lands here.
                log.info("{}; assuming the job is over", e.getMessage());
                return ExitCodes.OK;
            }
            throw new StartupException(e.getMessage(), ExitCodes.UNAVAILABLE);
        } catch (IOException e) {
            throw new StartupException("cannot use local directory: " + e.getMessage());
        } finally {
            if (temporary != null) {
                deleteQuietly(temporary);
            }
            if (endpoint != null) {
                endpoint.close();
            }
        }
    }

    private static LocalStore openStore(Path root) {
        try {
            LocalStore store = new LocalStore(root);
            // A real write: permission bits say nothing to root, or on a read-only mount.
            try {
                Files.delete(Files.createTempFile(store.root(), ".write-probe", ""));
            } catch (IOException e) {
                throw new StartupException("--local-dir " + store.root() + " is not writable: " + e.getMessage());
            }
            return store;
        } catch (IOException e) {
            throw new StartupException("cannot create --local-dir " + root + ": " + e.getMessage());
        }
    }

    private static void deleteQuietly(Path dir) {
        try {
            FileTrees.deleteRecursively(dir);
        } catch (IOException e) {
            log.warn("could not delete {}: {}", dir, e.toString());
        }
    }

    private static String defaultId() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "localhost";
        }
        return host + "-" + ProcessHandle.current().pid();
    }
}
