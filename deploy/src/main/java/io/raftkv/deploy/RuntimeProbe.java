package io.raftkv.deploy;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.raftkv.common.cli.ExitCodes;
import io.raftkv.common.cli.Mains;
import io.raftkv.common.cli.StartupException;
import io.raftkv.common.grpc.GrpcServer;
import io.raftkv.common.grpc.HealthProbe;
import io.raftkv.common.metrics.Metrics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Exercises, inside a container, the parts of the Java runtime the services depend on that a trimmed (jlinked)
 * runtime can lack: RocksDB's JNI library, a gRPC server on Netty with its health service, Micrometer's JVM metrics
 * and Logback's XML configuration. Prints one line per check, then {@code PROBE READY} and keeps serving gRPC for
 * {@code --serve-seconds} so the server can also be reached from outside the container.
 */
@Command(name = "runtime-probe", mixinStandardHelpOptions = true,
        description = "Checks that this Java runtime can run raftkv services: RocksDB, gRPC, metrics, logging.")
public final class RuntimeProbe implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(RuntimeProbe.class);

    @Option(names = "--data-dir", required = true, paramLabel = "DIR",
            description = "Where to create a scratch RocksDB database.")
    Path dataDir;

    @Option(names = "--port", defaultValue = "7000", paramLabel = "PORT",
            description = "The gRPC port to serve on (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--serve-seconds", defaultValue = "0", paramLabel = "S",
            description = "Keep serving gRPC this long after the checks (default: ${DEFAULT-VALUE}).")
    int serveSeconds;

    public static void main(String[] args) {
        Mains.run(new RuntimeProbe(), args);
    }

    @Override
    public Integer call() throws Exception {
        System.out.println("PROBE java " + Runtime.version() + " (" + ModuleLayer.boot().modules().size()
                + " modules) as user " + System.getProperty("user.name"));
        checkRocksDb();
        checkMetrics();
        try (GrpcServer server = GrpcServer.builder("0.0.0.0", port).description("probe port").start()) {
            // Generous: the first call of a fresh JVM on a busy host is slow.
            int health = Mains.execute(new HealthProbe(), "--timeout-ms", "20000", "127.0.0.1:" + server.port());
            if (health != ExitCodes.OK) {
                throw new StartupException("the gRPC server does not answer its own health check");
            }
            System.out.println("PROBE grpc serving on port " + server.port());
            log.info("logging through Logback works");
            System.out.println("PROBE READY");
            System.out.flush();
            Thread.sleep(serveSeconds * 1000L);
        }
        return ExitCodes.OK;
    }

    private void checkRocksDb() throws Exception {
        RocksDB.loadLibrary();
        Files.createDirectories(dataDir);
        byte[] key = "probe".getBytes(StandardCharsets.UTF_8);
        byte[] value = "value".getBytes(StandardCharsets.UTF_8);
        try (Options options = new Options().setCreateIfMissing(true);
                RocksDB db = RocksDB.open(options, dataDir.toString())) {
            db.put(key, value);
            if (!Arrays.equals(value, db.get(key))) {
                throw new RocksDBException("read back a different value than written");
            }
        }
        System.out.println("PROBE rocksdb " + RocksDB.rocksdbVersion() + " wrote and read " + dataDir);
    }

    private static void checkMetrics() {
        PrometheusMeterRegistry registry = Metrics.newRegistry("probe", "probe");
        String scrape = registry.scrape();
        if (!scrape.contains("jvm_memory_used_bytes") || !scrape.contains("jvm_gc_")) {
            throw new StartupException("JVM metrics are missing from the scrape");
        }
        System.out.println("PROBE metrics " + scrape.lines().count() + " lines of JVM metrics");
    }
}
