package io.raftkv.raft.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.raftkv.common.cli.HostPort;
import io.raftkv.raft.core.Role;
import io.raftkv.raft.storage.ClusterIdFile;
import io.raftkv.raft.transport.ClusterIdentity;
import io.raftkv.testkit.Eventually;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Nodes know the cluster they belong to, and refuse traffic from another one with the same group and node names. */
class ClusterIdentityTest {
    @TempDir
    Path dir;

    @Test
    void aNodeOfAnotherClusterIsRefusedAndCounted() throws Exception {
        Map<String, SimpleMeterRegistry> registries = new ConcurrentHashMap<>();
        try (LocalCluster a = new LocalCluster(dir.resolve("a"), 3, b -> {
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            registries.put(b.id, registry);
            b.meterRegistry(registry);
        }); LocalCluster b = new LocalCluster(dir.resolve("b"), 3, x -> { })) {
            a.startAll();
            String leader = a.awaitLeader();
            String id = a.node(leader).clusterId();
            assertEquals(16, id.length(), id);
            for (String node : a.runningIds()) {
                assertEquals(id, a.node(node).clusterId(), "every first member derives the same id");
                assertEquals(id, new ClusterIdFile(dir.resolve("a").resolve(node).resolve("raft")).read());
            }
            long term = a.node(leader).status().term();

            // Cluster b's n1 is misconfigured with a's n2 and n3 as its peers: it campaigns at them.
            HostPort b1 = b.members.get("n1");
            b.members.putAll(a.members);
            b.members.put("n1", b1);
            b.start("n1");
            assertNotEquals(id, b.node("n1").clusterId());
            Eventually.await("a's n2 and n3 refuse b's traffic", Duration.ofSeconds(10), () -> refused(registries,
                    "n2") > 0 && refused(registries, "n3") > 0);
            assertEquals(0, refused(registries, "n1"), "b's n1 has a's n1 for no peer");
            Thread.sleep(1_000); // several of b's election timeouts
            assertEquals(term, a.node(leader).status().term(), "b's campaign reached no node of a");
            assertEquals(Role.LEADER, a.node(leader).status().role());
            assertTrue(b.node("n1").status().role() != Role.LEADER);
            a.node(leader).propose(new byte[] {'v', 'x'}).get(10, TimeUnit.SECONDS).applied()
                    .get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void aClusterRestoredFromABackupGetsANewIdEvenOnTheSameAddresses() {
        Map<String, HostPort> members = Map.of("n1", new HostPort("10.0.0.1", 7001), "n2",
                new HostPort("10.0.0.2", 7001), "n3", new HostPort("10.0.0.3", 7001));
        String original = ClusterIdentity.derive("kv", members);
        String restored = ClusterIdentity.deriveRestored("kv", members, "0badc0de");
        assertNotEquals(original, restored);
        assertEquals(restored, ClusterIdentity.deriveRestored("kv", new java.util.TreeMap<>(members), "0badc0de"),
                "every member restored from the same backup with the same peers derives the same id");
        assertNotEquals(restored, ClusterIdentity.deriveRestored("kv", members, "0badc0df"));
    }

    private static double refused(Map<String, SimpleMeterRegistry> registries, String node) {
        return registries.get(node).get("raft.transport.foreign.cluster").counter().count();
    }
}
