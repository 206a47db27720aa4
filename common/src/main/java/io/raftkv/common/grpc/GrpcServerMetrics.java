package io.raftkv.common.grpc;

import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;

/**
 * gRPC server metrics: the timer {@code grpc.server.calls} (count and duration of every finished call) tagged by
 * {@code service}, {@code method} and gRPC {@code status}. Register it with {@link GrpcServer.Builder#intercept}.
 */
public final class GrpcServerMetrics implements ServerInterceptor {
    public static final String NAME = "grpc.server.calls";

    private final MeterRegistry registry;

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
                Timer.builder(NAME)
                        .description("Finished gRPC calls by service, method and status")
                        .tag("service", service == null ? "" : service)
                        .tag("method", method == null ? "" : method)
                        .tag("status", status.getCode().name())
                        .register(registry)
                        .record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
                super.close(status, trailers);
            }
        }, headers);
    }
}
