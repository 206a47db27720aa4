package io.raftkv.kv.client.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.kv.client.FakeKvNode;
import io.raftkv.testkit.JvmProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code kv bench} as its own process: a raftkv run never loads the etcd client or the libraries under it. */
class KvBenchProcessTest {
    @TempDir
    Path dir;

    @Test
    void aRaftkvRunLoadsNoEtcdClass() {
        FakeKvNode.Store store = new FakeKvNode.Store();
        try (FakeKvNode leader = new FakeKvNode("n1", "kv1:7001", FakeKvNode.Mode.LEADER, store);
                JvmProcess bench = JvmProcess.builder(KvCli.class).jvmArgs("-Xlog:class+load=info:stderr")
                        .args("--cluster", leader.address().toString(), "bench", "--ops", "20", "--warmup", "0")
                        .log(dir.resolve("bench.log")).start()) {
            assertEquals(0, bench.waitFor(Duration.ofSeconds(60)), () -> bench.tail(40));
            List<String> loaded = bench.output().lines().filter(line -> line.contains("[class,load]")).toList();
            assertTrue(loaded.stream().anyMatch(line -> line.contains(" io.raftkv.kv.client.bench.RaftkvTarget ")),
                    "the class-load log works: " + loaded.size() + " lines");
            List<String> etcd = loaded.stream().filter(line -> line.contains(" io.etcd.")
                    || line.contains(" io.vertx.") || line.contains(" io.netty.")).toList();
            assertEquals(List.of(), etcd);
            assertEquals(20, store.applied.get());
        }
    }
}
