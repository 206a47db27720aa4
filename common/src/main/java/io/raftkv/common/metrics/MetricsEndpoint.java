package io.raftkv.common.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.raftkv.common.cli.StartupException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** Serves a registry in Prometheus text format at {@code GET /metrics} on its own HTTP port. */
public final class MetricsEndpoint implements AutoCloseable {
    private static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final HttpServer server;
    private final ExecutorService executor;

    private MetricsEndpoint(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /**
     * Starts serving on {@code bindHost:port} (port 0 picks a free one).
     *
     * @throws StartupException naming the port when it is in use or cannot be bound
     */
    public static MetricsEndpoint start(String bindHost, int port, PrometheusMeterRegistry registry) {
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(bindHost, port), 16);
        } catch (BindException e) {
            throw new StartupException("metrics port " + port + " is already in use (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw new StartupException("cannot open metrics port " + port + ": " + e.getMessage());
        }
        ExecutorService executor = Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, "metrics-http");
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(executor);
        server.createContext("/metrics", exchange -> serve(exchange, registry));
        server.createContext("/", MetricsEndpoint::notFound);
        server.start();
        return new MetricsEndpoint(server, executor);
    }

    /** The port actually bound. */
    public int port() {
        return server.getAddress().getPort();
    }

    private static void serve(HttpExchange exchange, PrometheusMeterRegistry registry) throws IOException {
        try (exchange) {
            byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    private static void notFound(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body = "metrics are at /metrics\n".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(404, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
