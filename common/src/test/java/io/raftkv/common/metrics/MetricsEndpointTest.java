package io.raftkv.common.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.raftkv.common.cli.StartupException;
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
}
