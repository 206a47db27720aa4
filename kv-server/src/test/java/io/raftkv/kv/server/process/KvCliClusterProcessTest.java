package io.raftkv.kv.server.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.kv.client.cli.KvCli;
import io.raftkv.kv.server.process.CliProcess.Run;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kv CLI as its own process against a real 3-process cluster: put, append, get, delete and status with their
 * exit codes (0 ok, 1 no such key, 4 a value over the servers' --max-value-bytes). kv-client's KvCliTest covers the
 * same commands and the remaining codes against fake nodes.
 */
class KvCliClusterProcessTest {
    @TempDir
    Path dir;

    private Run kv(KvProcessCluster cluster, String... args) {
        return new CliProcess(KvCli.class, "kv", "KV_CLUSTER", dir).run(cluster.clusterSpec(), args);
    }

    @Test
    void commandsAndExitCodesAgainstARealCluster() {
        try (KvProcessCluster cluster = new KvProcessCluster(dir.resolve("cluster"),
                List.of("--max-value-bytes", "1024"))) {
            cluster.startAll();
            String leader = cluster.awaitLeader(Duration.ofSeconds(60));

            assertEquals(new Run(0, "OK\n"), kv(cluster, "put", "greeting", "hello"));
            assertEquals(new Run(0, "OK\n"), kv(cluster, "append", "greeting", ", world"));
            assertEquals(new Run(0, "hello, world\n"), kv(cluster, "get", "greeting"));

            Run status = kv(cluster, "--timeout", "10s", "status");
            assertEquals(0, status.exitCode(), status::output);
            List<String> lines = status.output().lines().toList();
            assertEquals(4, lines.size(), status::output);
            assertTrue(lines.get(0).startsWith("ID"), status::output);
            long leaders = lines.stream().skip(1).filter(l -> l.matches("n\\d +\\S+ +LEADER .*")).count();
            long followers = lines.stream().skip(1).filter(l -> l.matches("n\\d +\\S+ +FOLLOWER +\\d+ +" + leader
                    + " .*")).count();
            assertEquals(1, leaders, status::output);
            assertEquals(2, followers, status::output);

            assertEquals(new Run(0, "OK\n"), kv(cluster, "delete", "greeting"));
            assertEquals(new Run(1, "error: key 'greeting' not found\n"), kv(cluster, "get", "greeting"));
            assertEquals(new Run(1, "error: key 'greeting' not found\n"), kv(cluster, "delete", "greeting"));

            Run oversized = kv(cluster, "put", "big", "v".repeat(2_000));
            assertEquals(4, oversized.exitCode(), oversized::output);
            assertTrue(oversized.output().startsWith("error: rejected: "), oversized::output);
            assertEquals(1, oversized.output().lines().count(), oversized::output);
            assertEquals(1, kv(cluster, "get", "big").exitCode(), "a rejected put must not take effect");
        }
    }
}
