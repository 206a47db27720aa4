package io.raftkv.kv.client.bench.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.common.exception.EtcdException;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.resolver.DnsSrvResolverProvider;
import io.etcd.jetcd.resolver.HttpResolverProvider;
import io.etcd.jetcd.resolver.HttpsResolverProvider;
import io.etcd.jetcd.resolver.IPResolverProvider;
import io.grpc.NameResolverProvider;
import io.grpc.NameResolverRegistry;
import io.grpc.StatusRuntimeException;
import io.raftkv.kv.client.bench.BenchTarget;
import io.raftkv.kv.client.bench.ErrorKinds;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * An etcd cluster through its Java client (jetcd): plain puts, and gets with etcd's default consistency, which is
 * linearizable (serializable=false), as raftkv's reads are. One client, and so one gRPC channel, for all load
 * clients, as raftkv's target has one Clerk.
 *
 * <p>This package is loaded by {@code EtcdClassLoader}, apart from the kv tool's own class path (see
 * {@code BenchTargets}), so it uses only the public API of the rest of the tool.
 */
public final class EtcdTarget implements BenchTarget {
    /** Linearizable: a read goes through the leader's ReadIndex, not a member's local state. */
    private static final GetOption LINEARIZABLE_GET = GetOption.builder().withSerializable(false).build();

    private final Client client;
    private final KV kv;
    private final Duration timeout;
    private final String endpoints;

    private EtcdTarget(List<URI> endpoints, Duration timeout) {
        registerNameResolvers();
        this.client = Client.builder()
                .endpoints(endpoints.toArray(URI[]::new))
                .connectTimeout(timeout)
                .build();
        this.kv = client.getKVClient();
        this.timeout = timeout;
        this.endpoints = endpoints.stream().map(URI::toString).collect(Collectors.joining(","));
    }

    /** Called by {@code BenchTargets} through reflection. */
    public static BenchTarget connect(List<URI> endpoints, Duration timeout) {
        return new EtcdTarget(endpoints, timeout);
    }

    /**
     * jetcd announces its name resolvers (for its endpoint URLs) as services of its own jar, which gRPC's registry
     * cannot see from the kv tool's class loader; so they are registered here, once per scheme.
     */
    private static void registerNameResolvers() {
        NameResolverRegistry registry = NameResolverRegistry.getDefaultRegistry();
        for (NameResolverProvider provider : List.of(new IPResolverProvider(), new HttpResolverProvider(),
                new HttpsResolverProvider(), new DnsSrvResolverProvider())) {
            synchronized (EtcdTarget.class) {
                if (registry.getProviderForScheme(provider.getDefaultScheme()) == null) {
                    registry.register(provider);
                }
            }
        }
    }

    @Override
    public String system() {
        return "etcd";
    }

    @Override
    public String endpoints() {
        return endpoints;
    }

    @Override
    public void put(byte[] key, byte[] value) {
        await(kv.put(ByteSequence.from(key), ByteSequence.from(value)));
    }

    @Override
    public boolean get(byte[] key) {
        return await(kv.get(ByteSequence.from(key), LINEARIZABLE_GET)).getCount() > 0;
    }

    private <T> T await(CompletableFuture<T> call) {
        try {
            return call.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            call.cancel(true);
            throw new OperationTimeoutException(timeout);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException cause ? cause : new CompletionException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            call.cancel(true);
            throw new CancellationException("interrupted");
        }
    }

    @Override
    public String errorKind(Throwable failure) {
        Throwable cause = failure instanceof CompletionException && failure.getCause() != null
                ? failure.getCause() : failure;
        if (cause instanceof OperationTimeoutException) {
            return OperationTimeoutException.KIND;
        }
        if (cause instanceof EtcdException etcd) {
            return ErrorKinds.lower(etcd.getErrorCode().name());
        }
        if (cause instanceof StatusRuntimeException status) {
            return ErrorKinds.lower(status.getStatus().getCode().name());
        }
        return ErrorKinds.other(cause);
    }

    @Override
    public void close() {
        client.close();
    }
}
