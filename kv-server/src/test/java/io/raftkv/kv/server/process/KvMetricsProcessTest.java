package io.raftkv.kv.server.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.common.client.ClientOptions;
import io.raftkv.kv.client.Clerk;
import io.raftkv.testkit.Eventually;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each node of a 3-process cluster serves Prometheus metrics on --metrics-port with the families dashboards use, and
 * the counters move with traffic: the commit index on every node, request counts on the leader, RocksDB bytes
 * written and WAL syncs on every node (followers persist the log too).
 */
class KvMetricsProcessTest {
    private static final List<String> FAMILIES = List.of("kv_requests_seconds", "grpc_server_calls_seconds",
            "raft_role", "raft_term", "raft_commit_index", "raft_fsync_seconds", "raft_proposal_commit_seconds",
            "rocksdb_wal_syncs_total", "rocksdb_bytes_written_total", "jvm_memory_used_bytes",
            "jvm_threads_live_threads", "kv_state_applied_index");

    @TempDir
    Path dir;

    @Test
    void everyNodeExposesTheFamiliesAndCountersMove() {
        try (KvProcessCluster cluster = new KvProcessCluster(dir, List.of())) {
            cluster.startAll();
            String leader = cluster.awaitLeader(Duration.ofSeconds(60));
            try (Clerk clerk = cluster.clerk(ClientOptions.DEFAULT.withTimeout(Duration.ofSeconds(30)))) {
                clerk.put("warm-up", "1"); // kv_requests_seconds appears with the first request
                Map<String, String> before = scrapeAll(cluster);
                for (int i = 0; i < 50; i++) {
                    clerk.put("metrics-" + i, "value-" + i);
                    clerk.get("metrics-" + i);
                }
                // Followers learn the new commit index with the next append or heartbeat.
                long target = (long) PrometheusText.sum(cluster.metrics(leader), "raft_commit_index");
                for (String id : cluster.ids()) {
                    Eventually.await(id + " commit index reaches " + target, Duration.ofSeconds(30),
                            () -> PrometheusText.sum(cluster.metrics(id), "raft_commit_index") >= target);
                }
                Map<String, String> after = scrapeAll(cluster);

                for (String id : cluster.ids()) {
                    String text = after.get(id);
                    List<String> missing = new ArrayList<>();
                    for (String family : FAMILIES) {
                        if (!PrometheusText.hasFamily(text, family)) {
                            missing.add(family);
                        }
                    }
                    assertEquals(List.of(), missing, id + " lacks metric families");
                    assertTrue(PrometheusText.sum(text, "raft_commit_index")
                            >= PrometheusText.sum(before.get(id), "raft_commit_index") + 50, id + " commit index");
                    for (String counter : List.of("rocksdb_bytes_written_total", "rocksdb_wal_syncs_total")) {
                        assertTrue(PrometheusText.sum(text, counter) > PrometheusText.sum(before.get(id), counter),
                                id + " " + counter + " did not move");
                    }
                }
                double putsBefore = PrometheusText.sum(before.get(leader), "kv_requests_seconds_count", "op=\"put\"");
                double putsAfter = PrometheusText.sum(after.get(leader), "kv_requests_seconds_count", "op=\"put\"");
                double getsAfter = PrometheusText.sum(after.get(leader), "kv_requests_seconds_count", "op=\"get\"");
                assertTrue(putsAfter - putsBefore >= 50, "leader counted " + (putsAfter - putsBefore) + " puts");
                assertTrue(getsAfter >= 50, "leader counted " + getsAfter + " gets");
                assertTrue(PrometheusText.sum(after.get(leader), "grpc_server_calls_seconds_count") >= 100,
                        "the leader's gRPC server metrics did not count the calls");
                assertEquals(3.0, PrometheusText.sum(after.get(leader), "raft_role"), "the leader's raft_role");
            }
        }
    }

    private static Map<String, String> scrapeAll(KvProcessCluster cluster) {
        Map<String, String> texts = new HashMap<>();
        for (String id : cluster.ids()) {
            texts.put(id, Eventually.awaitValue("metrics of " + id, Duration.ofSeconds(30), () -> cluster.metrics(id)));
        }
        return texts;
    }
}
