package io.raftkv.kv.server.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.common.backup.BackupFile;
import io.raftkv.common.cli.HostPort;
import io.raftkv.common.client.ClientOptions;
import io.raftkv.kv.client.Clerk;
import io.raftkv.kv.client.GetResult;
import io.raftkv.kv.client.cli.KvCli;
import io.raftkv.kv.main.KvServerMain;
import io.raftkv.raft.transport.PeerAddresses;
import io.raftkv.testkit.Eventually;
import io.raftkv.testkit.JvmProcess;
import io.raftkv.testkit.Ports;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Backup and restore across real processes: {@code kv snapshot save} while a writer writes, {@code kv-server --restore}
 * into a new cluster on other ports, and what must be refused (a damaged backup, a restored node talking to the old
 * cluster).
 */
class KvBackupProcessTest {
    private static final ClientOptions CLIENT = ClientOptions.DEFAULT.withTimeout(Duration.ofSeconds(20));
    private static final int BEFORE_KEYS = 200;

    @TempDir
    Path dir;

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aBackupTakenDuringWritesRestoresIntoANewClusterThatTheOldOneRefusesAndADamagedOneIsRefused()
            throws Exception {
        Path backup = dir.resolve("backup.db");
        CliProcess kv = new CliProcess(KvCli.class, "kv", "KV_CLUSTER", dir);
        long ackedBeforeSave;
        long writerEnd;
        try (KvProcessCluster old = new KvProcessCluster(dir.resolve("old"), List.of());
                Clerk clerk = old.clerk(CLIENT)) {
            old.startAll();
            old.awaitLeader(Duration.ofSeconds(60));
            for (int i = 0; i < BEFORE_KEYS; i++) {
                clerk.put(utf8("before-" + i), utf8("value-" + i));
            }
            // One writer puts seq-0, seq-1, ... in order: a consistent backup holds a prefix of them, with no gap.
            AtomicLong acked = new AtomicLong(-1);
            AtomicBoolean stop = new AtomicBoolean();
            Thread writer = new Thread(() -> {
                for (long i = 0; i < 100_000 && !stop.get(); i++) {
                    clerk.put(utf8("seq-" + i), utf8(Long.toString(i)));
                    acked.set(i);
                }
            }, "sequential-writer");
            writer.start();
            Eventually.await("the writer under way", Duration.ofSeconds(30), () -> acked.get() >= 20);
            ackedBeforeSave = acked.get();
            CliProcess.Run saved = kv.run(old.clusterSpec(), "snapshot", "save", backup.toString());
            Eventually.await("writes after the save", Duration.ofSeconds(30), () -> acked.get() >= ackedBeforeSave + 40);
            stop.set(true);
            writer.join(Duration.ofSeconds(30));
            assertFalse(writer.isAlive(), "the writer did not stop");
            writerEnd = acked.get();
            assertEquals(0, saved.exitCode(), saved::output);
            assertTrue(saved.output().startsWith("saved " + backup + ": group kv, index "), saved::output);

            CliProcess.Run status = kv.run("", "snapshot", "status", backup.toString(), "--json");
            assertEquals(0, status.exitCode(), status::output);
            BackupFile file = BackupFile.verify(backup);
            assertTrue(status.output().contains("\"group\":\"kv\"") && status.output().contains("\"index\":"
                    + file.header().index() + ",") && status.output().contains("\"checksum\":\""
                    + file.checksumHex() + "\""), status::output);
            assertEquals(3, file.header().members().size(), file.header()::toString);

            // The restored cluster, on other ports, from the same file on every member.
            try (KvProcessCluster restored = new KvProcessCluster(dir.resolve("new"),
                    List.of("--restore", backup.toString()));
                    Clerk newClerk = restored.clerk(CLIENT)) {
                restored.startAll();
                restored.awaitLeader(Duration.ofSeconds(60));
                for (int i = 0; i < BEFORE_KEYS; i++) {
                    GetResult got = newClerk.get(utf8("before-" + i));
                    assertEquals("value-" + i, assertInstanceOf(GetResult.Found.class, got).text(), "before-" + i);
                }
                long last = -1;
                while (newClerk.get(utf8("seq-" + (last + 1))) instanceof GetResult.Found found) {
                    assertEquals(Long.toString(last + 1), found.text());
                    last++;
                }
                assertTrue(last >= ackedBeforeSave, "the backup lacks seq-" + ackedBeforeSave
                        + ", acknowledged before the save; it ends at seq-" + last);
                for (long i = last + 2; i <= writerEnd + 1; i++) {
                    assertInstanceOf(GetResult.NotFound.class, newClerk.get(utf8("seq-" + i)),
                            "seq-" + i + " after a gap at seq-" + (last + 1) + ": not one applied index");
                }
                // The two clusters now go their own ways.
                newClerk.put(utf8("only-new"), utf8("1"));
                assertInstanceOf(GetResult.NotFound.class, clerk.get(utf8("only-new")));
                // A restart with the same command line starts the restored node as it is.
                restored.kill("n2");
                restored.start("n2");
                restored.awaitUp("n2");
                restored.awaitLeader(Duration.ofSeconds(60));
                assertEquals("1", assertInstanceOf(GetResult.Found.class, newClerk.get(utf8("only-new"))).text());
            }

            aRestoredNodeIsRefusedByTheOldCluster(old, clerk, backup);
        }
        aDamagedBackupIsRefusedAndTheDataDirectoryLeftUntouched(kv, backup);
    }

    /** A node restored from the backup, given the old cluster's n2 and n3 as peers, cannot take part in it. */
    private void aRestoredNodeIsRefusedByTheOldCluster(KvProcessCluster old, Clerk clerk, Path backup) {
        Map<String, HostPort> peers = new LinkedHashMap<>();
        peers.put("n1", new HostPort("127.0.0.1", Ports.freePort()));
        List<HostPort> oldNodes = old.addresses();
        peers.put("n2", oldNodes.get(1));
        peers.put("n3", oldNodes.get(2));
        double refusedBefore = foreignRefusals(old);
        try (JvmProcess stray = JvmProcess.builder(KvServerMain.class).name("stray").jvmArgs("-Xmx256m")
                .args("--id", "n1", "--peers", PeerAddresses.format(peers), "--data-dir",
                        dir.resolve("stray").toString(), "--restore", backup.toString(), "--election-timeout", "300ms")
                .log(dir.resolve("stray.log")).start()) {
            Eventually.await("the old n2 refusing the restored node", Duration.ofSeconds(30), () ->
                    foreignRefusals(old)
                            > refusedBefore);
            assertTrue(stray.isAlive(), stray::output);
            String leader = old.awaitLeader(Duration.ofSeconds(30));
            assertTrue(List.of("n1", "n2", "n3").contains(leader), leader);
            clerk.put(utf8("old-still-writes"), utf8("yes"));
        }
    }

    private static double foreignRefusals(KvProcessCluster cluster) {
        String metrics = cluster.metrics("n2");
        return metrics == null ? -1 : PrometheusText.sum(metrics, "raft_transport_foreign_cluster_total");
    }

    /** A damaged backup is refused before anything is written; a restore into a used directory too. */
    private void aDamagedBackupIsRefusedAndTheDataDirectoryLeftUntouched(CliProcess kv, Path backup)
            throws Exception {
        byte[] bytes = Files.readAllBytes(backup);
        bytes[bytes.length / 2] ^= 0x10;
        Path flipped = dir.resolve("flipped.db");
        Files.write(flipped, bytes);

        CliProcess.Run status = kv.run("", "snapshot", "status", flipped.toString());
        assertEquals(new CliProcess.Run(1, "error: backup " + flipped + " is damaged: its checksum does not match its"
                + " contents\n"), status);

        Path dataDir = dir.resolve("restored-n1");
        try (JvmProcess server = JvmProcess.builder(KvServerMain.class).name("restore").args("--id", "n1",
                "--peers", "n1=127.0.0.1:" + Ports.freePort(), "--data-dir", dataDir.toString(), "--restore",
                flipped.toString()).log(dir.resolve("restore.log")).start()) {
            assertEquals(2, server.waitFor(Duration.ofSeconds(60)), server::output);
            assertTrue(server.output().contains("error: cannot restore: backup " + flipped + " is damaged"),
                    server::output);
        }
        assertFalse(Files.exists(dataDir), "the data directory was created");

        Files.createDirectories(dataDir.resolve("something"));
        try (JvmProcess server = JvmProcess.builder(KvServerMain.class).name("restore-full").args("--id", "n1",
                "--peers", "n1=127.0.0.1:" + Ports.freePort(), "--data-dir", dataDir.toString(), "--restore",
                backup.toString()).log(dir.resolve("restore-full.log")).start()) {
            assertEquals(2, server.waitFor(Duration.ofSeconds(60)), server::output);
            assertTrue(server.output().contains("it already holds data"), server::output);
        }
        assertNotEquals(0, Files.list(dataDir).count());
    }
}
