package io.raftkv.common.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.raftkv.common.cli.StartupException;
import io.raftkv.common.status.StatusPage;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

class MetricsEndpointTest {
    @Test
    void servesPrometheusTextWithJvmMetricsAndCommonTags() throws Exception {
        PrometheusMeterRegistry registry = Metrics.newRegistry("test-app", "n1");
        registry.counter("raftkv_test_events").increment(3);
        try (MetricsEndpoint endpoint = MetricsEndpoint.start("127.0.0.1", 0, registry)) {
            HttpResponse<String> response = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + endpoint.port() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, response.statusCode());
            String body = response.body();
            assertTrue(body.contains("raftkv_test_events_total{app=\"test-app\",instance_id=\"n1\"} 3.0"), body);
            assertTrue(body.contains("jvm_memory_used_bytes"), "JVM metrics are bound");
        }
    }

    @Test
    void portInUseIsAStartupErrorNamingThePort() {
        PrometheusMeterRegistry registry = Metrics.newRegistry("test-app", "n1");
        try (MetricsEndpoint first = MetricsEndpoint.start("127.0.0.1", 0, registry)) {
            StartupException error = assertThrows(StartupException.class,
                    () -> MetricsEndpoint.start("127.0.0.1", first.port(), registry));
            assertTrue(error.getMessage().contains(String.valueOf(first.port())), error.getMessage());
        }
    }

    @Test
    void servesTheStatusPageAtTheRootAndItsStateAtStatusJson() throws Exception {
        PrometheusMeterRegistry registry = Metrics.newRegistry("test-app", "n1");
        boolean[] failing = {false};
        StatusPage page = new StatusPage() {
            @Override
            public String html() {
                return "<html>page</html>";
            }

            @Override
            public String json() {
                if (failing[0]) {
                    throw new IllegalStateException("stopping");
                }
                return "{\"role\":\"leader\"}";
            }
        };
        try (MetricsEndpoint endpoint = MetricsEndpoint.start("127.0.0.1", 0, registry, page)) {
            HttpResponse<String> root = get(endpoint, "/");
            assertEquals(200, root.statusCode());
            assertEquals("<html>page</html>", root.body());
            assertEquals("text/html; charset=utf-8", root.headers().firstValue("Content-Type").orElseThrow());
            HttpResponse<String> json = get(endpoint, "/status.json");
            assertEquals(200, json.statusCode());
            assertEquals("{\"role\":\"leader\"}", json.body());
            assertEquals("application/json; charset=utf-8", json.headers().firstValue("Content-Type").orElseThrow());
            assertEquals(404, get(endpoint, "/elsewhere").statusCode());
            assertEquals(200, get(endpoint, "/metrics").statusCode());
            failing[0] = true;
            HttpResponse<String> unavailable = get(endpoint, "/status.json");
            assertEquals(503, unavailable.statusCode());
            assertEquals("unavailable: stopping\n", unavailable.body());
        }
        try (MetricsEndpoint plain = MetricsEndpoint.start("127.0.0.1", 0, registry)) {
            assertEquals(404, get(plain, "/").statusCode());
            assertEquals(404, get(plain, "/status.json").statusCode());
        }
    }

    private static HttpResponse<String> get(MetricsEndpoint endpoint, String path) throws Exception {
        return HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + endpoint.port() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
