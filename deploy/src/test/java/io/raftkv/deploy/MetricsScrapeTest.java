package io.raftkv.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Set;
import org.junit.jupiter.api.Test;

/** Parsing the Prometheus text format as the services write it (no Docker needed). */
class MetricsScrapeTest {
    private static final String PAGE = """
            # HELP raft_term Current term
            # TYPE raft_term gauge
            raft_term{app="kv-server",instance_id="kv1"} 3.0
            kv_requests_seconds_count{app="kv-server",instance_id="kv1",op="put",result="ok"} 20
            kv_requests_seconds_count{app="kv-server",instance_id="kv1",op="get",result="no_key"} 2
            process_uptime_seconds 12.5
            jvm_memory_used_bytes{area="heap",id="G1 Eden Space"} 1.048576E6
            """;

    @Test
    void readsNamesLabelsAndValues() {
        MetricsScrape scrape = MetricsScrape.parse(PAGE);
        assertEquals(Set.of("raft_term", "kv_requests_seconds_count", "process_uptime_seconds",
                "jvm_memory_used_bytes"), scrape.names());
        assertEquals(3.0, scrape.sum("raft_term"));
        assertEquals(22.0, scrape.sum("kv_requests_seconds_count"));
        assertEquals(20.0, scrape.sum("kv_requests_seconds_count", "op=\"put\",result=\"ok\""));
        assertEquals(12.5, scrape.sum("process_uptime_seconds"));
        assertEquals(1048576.0, scrape.sum("jvm_memory_used_bytes", "id=\"G1 Eden Space\""));
        assertEquals(0.0, scrape.sum("no_such_metric"));
    }
}
