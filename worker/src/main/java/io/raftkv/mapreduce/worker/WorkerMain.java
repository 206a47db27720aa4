package io.raftkv.mapreduce.worker;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.raftkv.common.cli.ExitCodes;
import io.raftkv.common.cli.HostPort;
import io.raftkv.common.cli.Mains;
import io.raftkv.common.cli.StartupException;
import io.raftkv.common.metrics.Metrics;
import io.raftkv.common.metrics.MetricsEndpoint;
import io.raftkv.mapreduce.app.AppSpec;
import io.raftkv.mapreduce.app.MapReduceApp;
import io.raftkv.mapreduce.cli.AppOptions;
import io.raftkv.common.cli.DurationConverter;
import java.net.InetAddress;
import java.net.UnknownHostException;
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
                    + " unreachable for --give-up-after. The work directory comes from the coordinator: it must be"
                    + " shared with it.",
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
        PrometheusMeterRegistry registry = Metrics.newRegistry("mr-worker", workerId);
        MetricsEndpoint endpoint = metricsPort == null ? null : MetricsEndpoint.start("0.0.0.0", metricsPort,
                registry);
        log.info("worker {} running app {} in {} slots for coordinator {}", workerId, spec, slotCount, coordinator);
        try (CoordinatorClient client = new CoordinatorClient(coordinator, giveUpAfter)) {
            return new Worker(apps, spec.id(), workerId, client, new WorkerMetrics(registry)).run();
        } catch (CoordinatorClient.CoordinatorGoneException e) {
            if (e.everReached()) {
                // The coordinator exits soon after the job is done; a worker that was busy then lands here.
                log.info("{}; assuming the job is over", e.getMessage());
                return ExitCodes.OK;
            }
            throw new StartupException(e.getMessage(), ExitCodes.UNAVAILABLE);
        } finally {
            if (endpoint != null) {
                endpoint.close();
            }
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
