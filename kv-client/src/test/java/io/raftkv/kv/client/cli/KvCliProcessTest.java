package io.raftkv.kv.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.common.cli.HostPort;
import io.raftkv.kv.client.FakeKvNode;
import io.raftkv.testkit.JvmProcess;
import io.raftkv.testkit.Ports;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The kv main as its own process: the real environment variable, the real exit code, nothing else on the console. */
class KvCliProcessTest {
    @TempDir
    Path dir;

    @Test
    void readsTheClusterFromKvClusterAndExitsWithTheCode() {
        FakeKvNode.Store store = new FakeKvNode.Store();
        try (FakeKvNode leader = new FakeKvNode("n1", "kv1:7001", FakeKvNode.Mode.LEADER, store);
                JvmProcess put = JvmProcess.builder(KvCli.class).args("put", "k", "from a process")
                        .env("KV_CLUSTER", leader.address().toString()).log(dir.resolve("put.log")).start()) {
            assertEquals(0, put.waitFor(Duration.ofSeconds(60)), put::output);
            assertEquals("OK\n", put.output());
            assertEquals("from a process", store.get("k"));
        }
    }

    @Test
    void anUnreachableClusterPrintsOneLineAndExitsWithThree() {
        // Three closed ports: the CLI gives up after two rounds of refusals, not after its 10 s.
        List<String> nodes = List.of(new HostPort("127.0.0.1", Ports.freePort()).toString(),
                new HostPort("127.0.0.1", Ports.freePort()).toString(),
                new HostPort("127.0.0.1", Ports.freePort()).toString());
        long started = System.nanoTime();
        try (JvmProcess get = JvmProcess.builder(KvCli.class).args("get", "k")
                .env("KV_CLUSTER", String.join(",", nodes)).log(dir.resolve("get.log")).start()) {
            assertEquals(3, get.waitFor(Duration.ofSeconds(60)), get::output);
            long seconds = (System.nanoTime() - started) / 1_000_000_000L;
            List<String> lines = get.output().lines().toList();
            assertEquals(1, lines.size(), get::output);
            assertEquals("error: every node refused the connection, twice in a row (" + nodes.get(0)
                    + ": unreachable (connection refused); " + nodes.get(1) + ": unreachable (connection refused); "
                    + nodes.get(2) + ": unreachable (connection refused)); is the cluster running?", lines.get(0));
            assertTrue(seconds < 9, "exited only after " + seconds + " s");
        }
    }
}
