package io.raftkv.common.grpc;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerInterceptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.raftkv.common.cli.StartupException;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A gRPC server with the services every raftkv process offers besides its own: health checking
 * ({@code grpc.health.v1.Health}) and server reflection (so {@code grpcurl} works without .proto files).
 */
public final class GrpcServer implements AutoCloseable {
    private final Server server;
    private final HealthStatusManager health;

    private GrpcServer(Server server, HealthStatusManager health) {
        this.server = server;
        this.health = health;
    }

    /** Starts building a server that listens on {@code bindHost:port} (port 0 picks a free one). */
    public static Builder builder(String bindHost, int port) {
        return new Builder(bindHost, port);
    }

    /** The port actually bound. */
    public int port() {
        return server.getPort();
    }

    /** Reports the whole server (service name "") and every named service as serving or not. */
    public void setServing(boolean serving) {
        health.setStatus("", serving ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
    }

    /** Blocks until the server terminates. */
    public void awaitTermination() throws InterruptedException {
        server.awaitTermination();
    }

    @Override
    public void close() {
        health.enterTerminalState();
        server.shutdown();
        try {
            if (!server.awaitTermination(2, TimeUnit.SECONDS)) {
                server.shutdownNow();
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    /** Collects services and options, then binds. */
    public static final class Builder {
        private final String bindHost;
        private final int port;
        private final List<ServerServiceDefinition> services = new ArrayList<>();
        private final List<ServerInterceptor> interceptors = new ArrayList<>();
        private int maxInboundMessageBytes = 8 * 1024 * 1024;
        private String description = "gRPC";

        private Builder(String bindHost, int port) {
            this.bindHost = bindHost;
            this.port = port;
        }

        public Builder addService(BindableService service) {
            services.add(service.bindService());
            return this;
        }

        public Builder addService(ServerServiceDefinition service) {
            services.add(service);
            return this;
        }

        /** Intercepts every application service (not health or reflection), e.g. for request metrics. */
        public Builder intercept(ServerInterceptor interceptor) {
            interceptors.add(interceptor);
            return this;
        }

        public Builder maxInboundMessageBytes(int bytes) {
            this.maxInboundMessageBytes = bytes;
            return this;
        }

        /** What the port is for, used in error messages ("client port", "raft port" ...). */
        public Builder description(String description) {
            this.description = description;
            return this;
        }

        /**
         * Binds and starts serving; health reports SERVING until told otherwise.
         *
         * @throws StartupException naming the port when it is in use or cannot be bound
         */
        public GrpcServer start() {
            HealthStatusManager health = new HealthStatusManager();
            NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress(bindHost, port))
                    .maxInboundMessageSize(maxInboundMessageBytes)
                    // Raft peers ping idle connections every 10 s to find dead ones; the default would answer pings
                    // more often than every 5 minutes by closing the connection.
                    .permitKeepAliveTime(5, TimeUnit.SECONDS)
                    .permitKeepAliveWithoutCalls(true)
                    .addService(health.getHealthService())
                    .addService(ProtoReflectionServiceV1.newInstance());
            for (ServerServiceDefinition service : services) {
                builder.addService(ServerInterceptors.intercept(service, interceptors));
            }
            Server server = builder.build();
            try {
                server.start();
            } catch (IOException e) {
                if (isBindFailure(e)) {
                    throw new StartupException(description + " " + bindHost + ":" + port + " is already in use");
                }
                throw new StartupException("cannot open " + description + " " + bindHost + ":" + port + ": " + e);
            }
            health.setStatus("", ServingStatus.SERVING);
            return new GrpcServer(server, health);
        }

        private static boolean isBindFailure(Throwable e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                // Netty's native transport reports EADDRINUSE as its own exception type, not BindException.
                if (t instanceof BindException
                        || (t.getMessage() != null && t.getMessage().contains("Address already in use"))) {
                    return true;
                }
            }
            return false;
        }
    }
}
