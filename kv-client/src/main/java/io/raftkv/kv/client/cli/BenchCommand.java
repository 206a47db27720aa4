package io.raftkv.kv.client.cli;

import io.raftkv.common.cli.DurationConverter;
import io.raftkv.common.cli.ExitCodes;
import io.raftkv.common.client.ClientOptions;
import io.raftkv.kv.client.bench.BenchReport;
import io.raftkv.kv.client.bench.BenchSettings;
import io.raftkv.kv.client.bench.BenchTarget;
import io.raftkv.kv.client.bench.BenchTargets;
import io.raftkv.kv.client.bench.Benchmark;
import io.raftkv.kv.client.bench.Workload;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code kv bench}: closed-loop load on a raftkv or etcd cluster, reported as throughput and latency percentiles. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {
            "Puts load on a running cluster and prints operations per second and p50/p99/p999 latency.",
            "The target is raftkv (--cluster or KV_CLUSTER) or etcd (--etcd), driven by the same load generator: "
                    + "N clients, each sending one request at a time and the next as soon as it is answered. "
                    + "Reads are linearizable on both. Read and mixed runs first write every key once. "
                    + "Latencies count successful operations only; failures are counted by kind."
        },
        footerHeading = "%n",
        footer = {
            "Examples:",
            "  kv bench --cluster 127.0.0.1:7001,127.0.0.1:7002 --clients 16",
            "  kv bench --etcd http://127.0.0.1:2379 --workload read --clients 256",
            "  kv bench --workload mixed --ops 100000 --warmup 0    (cluster from KV_CLUSTER)",
            "",
            "--timeout bounds each operation, retries included; slower ones count as failed.",
            "The last line of output is one JSON object with the same figures, for scripts.",
            "Exit codes: 0 every operation succeeded, 1 some failed (the figures are still printed), 2 usage error, "
                    + "3 the target could not be reached, the preload failed, or no operation succeeded."
        })
final class BenchCommand implements Callable<Integer> {
    static final int MAX_CLIENTS = 10_000;
    static final int MAX_KEYS = 10_000_000;
    static final int MAX_VALUE_SIZE = 1 << 20;

    @ParentCommand
    KvCli kv;
    @Spec
    CommandSpec spec;

    @Option(names = "--workload", paramLabel = "KIND", defaultValue = "write",
            description = "write (puts), read (gets of preloaded keys) or mixed (half each). Default: write.")
    Workload workload;

    @Option(names = "--clients", paramLabel = "N", defaultValue = "16",
            description = "Concurrent clients, each with one request in flight (1..10000). Default: 16.")
    int clients;

    @Option(names = "--value-size", paramLabel = "BYTES", defaultValue = "100",
            description = "Bytes per value written (0..1048576). Default: 100.")
    int valueSize;

    @Option(names = "--keys", paramLabel = "K", defaultValue = "1000",
            description = "Distinct keys, chosen uniformly at random (1..10000000). Default: 1000.")
    int keys;

    @Option(names = "--duration", paramLabel = "DURATION", defaultValue = "30s", converter = DurationConverter.class,
            description = "The time limit of the measured run, e.g. 30s, 2m. Default: 30s.")
    Duration duration;

    @Option(names = "--ops", paramLabel = "N",
            description = "Also stop after N operations (successful or not), if that comes before the time limit.")
    Long ops;

    @Option(names = "--warmup", paramLabel = "DURATION", defaultValue = "2s",
            converter = DurationConverter.ZeroAllowed.class,
            description = "Unmeasured load before the measured run; 0 for none. Default: 2s.")
    Duration warmup;

    @Option(names = "--preload-timeout", paramLabel = "DURATION", defaultValue = "2m",
            converter = DurationConverter.class,
            description = "The time limit for writing every key before a read or mixed run. Default: 2m.")
    Duration preloadTimeout;

    @Option(names = "--key-prefix", paramLabel = "TEXT", defaultValue = "bench/",
            description = "What every key starts with. Default: bench/.")
    String keyPrefix;

    @Option(names = "--seed", paramLabel = "N",
            description = "Seed of the key and operation choices (default: random).")
    Long seed;

    @Option(names = "--etcd", paramLabel = "URL", split = ",", converter = EtcdEndpointConverter.class,
            description = "Load an etcd cluster instead, through its Java client: http://HOST:PORT,...")
    List<URI> etcd;

    @Override
    public Integer call() {
        BenchSettings settings = settings();
        BenchTarget opened;
        try {
            opened = target(settings.operationTimeout());
        } catch (IllegalStateException e) {
            // The etcd client could not be loaded or started: a broken installation, not a usage error.
            return KvCli.error(ExitCodes.FAILURE, e.getMessage());
        }
        try (BenchTarget target = opened) {
            BenchReport report = new Benchmark(target, settings, System.err).run();
            System.out.print(report.text());
            System.out.println(report.json());
            System.out.flush();
            if (report.measured().succeeded() == 0) {
                return KvCli.error(ExitCodes.UNAVAILABLE, "no operation succeeded");
            }
            return report.measured().failed() == 0 ? ExitCodes.OK : ExitCodes.FAILURE;
        } catch (Benchmark.AbortedException e) {
            return KvCli.error(ExitCodes.UNAVAILABLE, e.getMessage());
        }
    }

    private BenchTarget target(Duration operationTimeout) {
        if (etcd != null && !etcd.isEmpty()) {
            if ((kv.cluster != null && !kv.cluster.isEmpty()) || (kv.controller != null && !kv.controller.isEmpty())) {
                throw usage("give --cluster or --controller (raftkv) or --etcd, not both");
            }
            return BenchTargets.etcd(etcd, operationTimeout);
        }
        KvCli.Store store = kv.store(spec.commandLine());
        return store.sharded() ? BenchTargets.shardedRaftkv(store.addresses(), store.addressMap(), operationTimeout)
                : BenchTargets.raftkv(store.addresses(), operationTimeout);
    }

    private BenchSettings settings() {
        requireRange("--clients", clients, 1, MAX_CLIENTS);
        requireRange("--value-size", valueSize, 0, MAX_VALUE_SIZE);
        requireRange("--keys", keys, 1, MAX_KEYS);
        if (ops != null && ops < 1) {
            throw usage("--ops must be at least 1, not " + ops);
        }
        if (keyPrefix.isEmpty()) {
            throw usage("--key-prefix must not be empty");
        }
        long chosenSeed = seed != null ? seed : new SecureRandom().nextLong();
        // --timeout bounds each operation, retries included, as it bounds one command of the other subcommands.
        Duration operationTimeout = kv.timeout == null ? ClientOptions.DEFAULT.timeout() : kv.timeout;
        return new BenchSettings(workload, clients, valueSize, keys, duration, ops == null ? 0 : ops, warmup,
                preloadTimeout, operationTimeout, keyPrefix, chosenSeed);
    }

    private void requireRange(String option, long value, long min, long max) {
        if (value < min || value > max) {
            throw usage(String.format(Locale.ROOT, "%s must be in %,d..%,d, not %,d", option, min, max, value));
        }
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }
}
