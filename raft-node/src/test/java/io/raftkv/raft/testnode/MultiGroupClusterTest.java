package io.raftkv.raft.testnode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.raft.testnode.ClusterCrashTest.Ack;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three processes, each running a replica of three Raft groups (nine groups on three ports), under concurrent
 * proposals to every group while one process and then another is killed with SIGKILL and restarted. Afterwards each
 * group's replicas hold the same log, every acknowledged proposal of the group exactly once at its index, and no
 * entry of another group; each process's {@code /metrics} shows one series per group.
 */
class MultiGroupClusterTest {
    private static final List<String> GROUPS = List.of("g1", "g2", "g3");
    private static final Duration PHASE = Duration.ofSeconds(2);

    @TempDir
    Path dir;

    @Test
    void nineGroupsOnThreeProcessesKeepTheirOwnLogsThroughKills() throws Exception {
        try (ProcessCluster cluster = new ProcessCluster(dir, 3, List.of("--groups", String.join(",", GROUPS)))
                .withMetrics().jvmArgs("-Xmx160m")) {
            cluster.startAll();
            for (String group : GROUPS) {
                cluster.awaitLeader(group, Duration.ofSeconds(30));
            }
            Map<String, ConcurrentLinkedQueue<Ack>> acked = new LinkedHashMap<>();
            for (String group : GROUPS) {
                acked.put(group, new ConcurrentLinkedQueue<>());
            }
            // Two clients per group, each proposing values that name their group.
            try (LoadClients clients = LoadClients.start(2 * GROUPS.size(), (client, stop) -> {
                String group = GROUPS.get(client % GROUPS.size());
                ClusterCrashTest.load(cluster, group, group + "-c" + client, acked.get(group), stop);
            })) {
                Thread.sleep(PHASE.toMillis());
                for (String victim : List.of("n1", "n2")) {
                    ClusterCrashTest.log("kill -9 " + victim + " (a replica of every group)");
                    cluster.kill(victim);
                    awaitProgressInEveryGroup(cluster, acked, "with " + victim + " down");
                    cluster.start(victim);
                    cluster.awaitUp(victim);
                    awaitProgressInEveryGroup(cluster, acked, "after " + victim + " restarted");
                }
                clients.assertAlive();
            }

            for (String group : GROUPS) {
                ProcessCluster.AppliedValues log = ClusterCrashTest.verifyConverged(cluster, group, acked.get(group));
                for (String value : log.values()) {
                    assertTrue(value.startsWith(group + "-"), "group " + group + " applied " + value
                            + ", an entry of another group");
                }
                ClusterCrashTest.log(group + ": " + acked.get(group).size() + " acknowledged, " + log.values().size()
                        + " applied identically on every replica");
            }
            for (String id : cluster.ids()) {
                assertOneSeriesPerGroup(id, cluster.metricsText(id));
            }
        }
    }

    private static void awaitProgressInEveryGroup(ProcessCluster cluster,
            Map<String, ConcurrentLinkedQueue<Ack>> acked, String when) throws InterruptedException {
        for (String group : GROUPS) {
            cluster.awaitLeader(group, Duration.ofSeconds(30));
            ClusterCrashTest.awaitProgress(acked.get(group), "in " + group + " " + when);
        }
        Thread.sleep(PHASE.toMillis());
    }

    /** The node's term gauge appears once per group, each with that group's own value. */
    private static void assertOneSeriesPerGroup(String id, String metrics) {
        Pattern term = Pattern.compile("^raft_term\\{[^}]*group=\"([^\"]+)\"[^}]*\\} (\\S+)$", Pattern.MULTILINE);
        Map<String, String> byGroup = new LinkedHashMap<>();
        Matcher m = term.matcher(metrics);
        while (m.find()) {
            String previous = byGroup.put(m.group(1), m.group(2));
            assertEquals(null, previous, id + " reports raft_term twice for group " + m.group(1));
        }
        assertEquals(new java.util.TreeSet<>(GROUPS), new java.util.TreeSet<>(byGroup.keySet()),
                id + ": raft_term series by group in\n" + metrics.lines().filter(l -> l.startsWith("raft_term"))
                        .toList());
    }
}
