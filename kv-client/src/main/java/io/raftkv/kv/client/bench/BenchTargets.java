package io.raftkv.kv.client.bench;

import io.raftkv.common.cli.HostPort;
import io.raftkv.kv.client.AddressMap;
import io.raftkv.kv.client.Clerk;
import io.raftkv.kv.client.ShardedClerk;
import io.raftkv.common.client.ClientOptions;
import java.lang.reflect.InvocationTargetException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.time.Duration;
import java.util.List;

/** Opens the system a benchmark loads. */
public final class BenchTargets {
    private static final String ETCD_TARGET = EtcdClassLoader.PACKAGE + "EtcdTarget";
    /** Where the build puts the etcd client's jars: beside the kv-client jar (or classes directory). */
    static final String ETCD_LIB = "etcd-lib";

    private BenchTargets() {}

    /** A raftkv cluster; {@code timeout} bounds each operation, retries included. */
    public static BenchTarget raftkv(List<HostPort> cluster, Duration timeout) {
        return new RaftkvTarget(Clerk.connect(cluster, options(timeout)), endpoints(cluster));
    }

    /** A sharded raftkv store through its controller, group addresses dialed through {@code addressMap}. */
    public static BenchTarget shardedRaftkv(List<HostPort> controller, AddressMap addressMap, Duration timeout) {
        return new RaftkvTarget(ShardedClerk.connect(controller, options(timeout), addressMap),
                "controller " + endpoints(controller));
    }

    private static ClientOptions options(Duration timeout) {
        return ClientOptions.DEFAULT.withTimeout(timeout)
                .withAttemptTimeout(timeout.compareTo(Duration.ofSeconds(1)) < 0 ? timeout : Duration.ofSeconds(1));
    }

    private static String endpoints(List<HostPort> addresses) {
        return addresses.stream().map(HostPort::toString).collect(java.util.stream.Collectors.joining(","));
    }

    /**
     * An etcd cluster at {@code endpoints} ({@code http://host:port}); {@code timeout} bounds each operation. The
     * etcd client is loaded now, from {@value #ETCD_LIB}, by a class loader of its own.
     */
    public static BenchTarget etcd(List<URI> endpoints, Duration timeout) {
        ClassLoader loader = EtcdClassLoader.over(etcdLibrary(), BenchTargets.class.getClassLoader());
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        // Vert.x looks up its own services through the context class loader, and its threads inherit it.
        thread.setContextClassLoader(loader);
        try {
            return (BenchTarget) Class.forName(ETCD_TARGET, true, loader)
                    .getMethod("connect", List.class, Duration.class)
                    .invoke(null, endpoints, timeout);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            throw new IllegalStateException("cannot start the etcd client: " + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new IllegalStateException("cannot load the etcd client from " + etcdLibrary() + ": " + e, e);
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    /** The {@value #ETCD_LIB} directory next to where this class was loaded from. */
    static Path etcdLibrary() {
        CodeSource source = BenchTargets.class.getProtectionDomain().getCodeSource();
        if (source == null) {
            throw new IllegalStateException("cannot tell where the kv tool was loaded from");
        }
        Path home;
        try {
            home = Path.of(source.getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot tell where the kv tool was loaded from: " + e.getMessage(), e);
        }
        Path library = home.getParent().resolve(ETCD_LIB);
        if (!Files.isDirectory(library)) {
            throw new IllegalStateException("the etcd client's jars are missing: " + library
                    + " does not exist; build kv-client with ./mvnw -pl kv-client package");
        }
        return library;
    }
}
