package io.raftkv.common.grpc;

import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;

/**
 * gRPC server metrics: the timer {@code grpc.server.calls} (count and duration of every finished call) tagged by
 * {@code service}, {@code method} and gRPC {@code status}. Register it with {@link GrpcServer.Builder#intercept}.
 */
public final class GrpcServerMetrics implements ServerInterceptor {
    public static final String NAME = "grpc.server.calls";

    private final MeterRegistry registry;
    /** One timer per service/method/status, looked up once: building and registering a meter per call is not free. */
    private final ConcurrentMap<String, Timer> timers = new ConcurrentHashMap<>();

    public GrpcServerMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
            ServerCallHandler<Q, A> next) {
        long started = System.nanoTime();
        String service = call.getMethodDescriptor().getServiceName();
        String method = call.getMethodDescriptor().getBareMethodName();
        return next.startCall(new SimpleForwardingServerCall<>(call) {
            @Override
            public void close(Status status, Metadata trailers) {
                timer(service, method, status.getCode())
                        .record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
                super.close(status, trailers);
            }
        }, headers);
    }

    private Timer timer(String service, String method, Status.Code code) {
        String svc = service == null ? "" : service;
        String name = method == null ? "" : method;
        return timers.computeIfAbsent(svc + '/' + name + '/' + code, k -> Timer.builder(NAME)
                .description("Finished gRPC calls by service, method and status")
                .tag("service", svc)
                .tag("method", name)
                .tag("status", code.name())
                .register(registry));
    }
}
