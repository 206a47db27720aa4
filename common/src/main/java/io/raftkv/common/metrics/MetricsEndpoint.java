package io.raftkv.common.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.raftkv.common.cli.StartupException;
import io.raftkv.common.status.StatusPage;
import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * Serves a registry in Prometheus text format at {@code GET /metrics} on its own HTTP port, and the process's status
 * page ({@link StatusPage}) if it has one.
 */
public final class MetricsEndpoint implements AutoCloseable {
    private static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    private static final String JSON = "application/json; charset=utf-8";
    private static final String HTML = "text/html; charset=utf-8";

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
        return start(bindHost, port, registry, null);
    }

    /**
     * As above, with {@code page} (if not null) at {@code /} and its state at {@code /status.json}.
     *
     * @throws StartupException naming the port when it is in use or cannot be bound
     */
    public static MetricsEndpoint start(String bindHost, int port, PrometheusMeterRegistry registry,
            StatusPage page) {
        return start("metrics port", bindHost, port, registry, page);
    }

    /**
     * A tool's own page and nothing else (no metrics of its own); {@code what} names the port in errors (a flag).
     *
     * @throws StartupException naming the port when it is in use or cannot be bound
     */
    public static MetricsEndpoint startPage(String what, String bindHost, int port, StatusPage page) {
        return start(what, bindHost, port, null, page);
    }

    private static MetricsEndpoint start(String what, String bindHost, int port, PrometheusMeterRegistry registry,
            StatusPage page) {
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(bindHost, port), 16);
        } catch (BindException e) {
            throw new StartupException(what + " " + port + " is already in use (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw new StartupException("cannot open " + what + " " + port + ": " + e.getMessage());
        }
        ExecutorService executor = Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, "metrics-http");
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(executor);
        if (registry != null) {
            server.createContext("/metrics", exchange -> respond(exchange, 200, CONTENT_TYPE, registry::scrape));
        }
        if (page != null) {
            server.createContext("/status.json", exchange -> respond(exchange, 200, JSON, page::json));
        }
        server.createContext("/", exchange -> {
            if (page != null && exchange.getRequestURI().getPath().equals("/")) {
                respond(exchange, 200, HTML, page::html);
            } else {
                respond(exchange, 404, "text/plain; charset=utf-8", () -> page == null ? "metrics are at /metrics\n"
                        : "metrics are at /metrics, the status page at / and its data at /status.json\n");
            }
        });
        server.start();
        return new MetricsEndpoint(server, executor);
    }

    /** The port actually bound. */
    public int port() {
        return server.getAddress().getPort();
    }

    private static void respond(HttpExchange exchange, int status, String contentType, Supplier<String> text)
            throws IOException {
        byte[] body;
        try {
            body = text.get().getBytes(StandardCharsets.UTF_8);
        } catch (RuntimeException e) {
            // A page that cannot say its state now (the process is stopping) answers 503 rather than hanging up.
            status = 503;
            contentType = "text/plain; charset=utf-8";
            body = ("unavailable: " + e.getMessage() + "\n").getBytes(StandardCharsets.UTF_8);
        }
        try (exchange) {
            exchange.getResponseHeaders().set("Content-Type", contentType);
            exchange.getResponseHeaders().set("Cache-Control", "no-store");
            exchange.sendResponseHeaders(status, body.length);
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
