package io.raftkv.kv.client.cli;

import io.raftkv.common.cli.DurationConverter;
import io.raftkv.common.cli.ExitCodes;
import io.raftkv.common.cli.HostPort;
import io.raftkv.common.client.ClientOptions;
import io.raftkv.common.metrics.MetricsEndpoint;
import io.raftkv.common.status.StatusPage;
import io.raftkv.kv.client.Clerk;
import io.raftkv.kv.client.KvClient;
import io.raftkv.kv.client.NodeReport;
import io.raftkv.kv.client.ShardedClerk;
import io.raftkv.common.shardctrler.ShardConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code kv dashboard}: a page on this machine that shows the whole cluster, polled from every node: who leads each
 * group, which nodes are down or lagging, and for a sharded store the shard map with moves in progress.
 */
@Command(name = "dashboard", mixinStandardHelpOptions = true,
        description = "Serves a page that shows the whole cluster: every node of --cluster (or every group of"
                + " --controller) asked for its status each --interval; who leads, which nodes are down or lagging,"
                + " and the shard map. Open the address it prints in a browser; Ctrl-C stops it. The page's data is"
                + " at /status.json.")
final class DashboardCommand implements java.util.concurrent.Callable<Integer> {
    private static final String HTML = StatusPage.load(DashboardCommand.class, "cluster-dashboard.html");

    @ParentCommand
    KvCli kv;
    @Spec
    CommandSpec spec;

    @Option(names = "--listen", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:8080",
            converter = HostPort.Converter.class,
            description = "Where to serve the page (default: ${DEFAULT-VALUE}; port 0 picks a free one).")
    HostPort listen;

    @Option(names = "--interval", paramLabel = "DURATION", defaultValue = "500ms",
            converter = DurationConverter.class,
            description = "How often to ask every node (default: ${DEFAULT-VALUE}); a node that does not answer"
                    + " within it is shown down.")
    Duration interval;

    private final Map<HostPort, String> knownIds = new ConcurrentHashMap<>();
    private volatile String latest;

    @Override
    public Integer call() throws InterruptedException {
        CommandLine caller = spec.commandLine();
        if (interval.compareTo(Duration.ofMillis(100)) < 0) {
            throw new CommandLine.ParameterException(caller, "--interval must be at least 100ms, not "
                    + interval.toMillis() + "ms");
        }
        KvCli.Store store = kv.store(caller);
        latest = ClusterView.unreadable(store.sharded(), "no answer yet", System.currentTimeMillis());
        ClientOptions options = ClientOptions.DEFAULT.withTimeout(interval.multipliedBy(2))
                .withAttemptTimeout(interval);
        ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "dashboard-poll");
            t.setDaemon(true);
            return t;
        });
        try (KvClient client = store.connect(options);
                MetricsEndpoint endpoint = MetricsEndpoint.startPage("--listen port", listen.host(), listen.port(),
                        page())) {
            poller.scheduleWithFixedDelay(() -> latest = poll(client), 0, interval.toMillis(),
                    TimeUnit.MILLISECONDS);
            System.out.println("dashboard of " + (store.sharded() ? "the sharded store at " : "the cluster at ")
                    + store.addresses() + " on http://" + listen.host() + ":" + endpoint.port() + "/ (Ctrl-C stops"
                    + " it)");
            System.out.flush();
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(stopped::countDown, "dashboard-stop"));
            stopped.await();
            return ExitCodes.OK;
        } finally {
            poller.shutdownNow();
        }
    }

    /** One round: every node's status, as the page's JSON; a store that cannot be read is said so. */
    private String poll(KvClient client) {
        try {
            List<ClusterView.Group> groups = new ArrayList<>();
            ClusterView.ShardMap map = null;
            if (client instanceof ShardedClerk sharded) {
                ShardConfig config = sharded.configuration();
                map = new ClusterView.ShardMap(config.num(), config.shards());
                // The map and the groups asked come from one configuration.
                sharded.groupStatus(config).forEach((gid, nodes) -> groups.add(new ClusterView.Group(
                        String.valueOf(gid), remember(nodes))));
            } else {
                groups.add(new ClusterView.Group("kv", remember(((Clerk) client).status())));
            }
            return ClusterView.json(groups, map, knownIds, System.currentTimeMillis());
        } catch (RuntimeException e) {
            return ClusterView.unreadable(client instanceof ShardedClerk, String.valueOf(e.getMessage()),
                    System.currentTimeMillis());
        }
    }

    private List<NodeReport> remember(List<NodeReport> nodes) {
        for (NodeReport node : nodes) {
            if (node.reachable() && !node.status().getNodeId().isEmpty()) {
                knownIds.put(node.address(), node.status().getNodeId());
            }
        }
        return nodes;
    }

    private StatusPage page() {
        return new StatusPage() {
            @Override
            public String html() {
                return HTML;
            }

            @Override
            public String json() {
                return latest;
            }
        };
    }
}
