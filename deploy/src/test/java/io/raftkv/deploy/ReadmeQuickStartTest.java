package io.raftkv.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * README.md's quick start on processes, as written: the 3-node cluster, then the sharded store right after it. Run
 * from the project root on the ports the README names, like a reader on a fresh clone; skipped when the reader's own
 * data/cluster or data/sharded is there. Before the sharded block's last line stops it, {@code bin/cluster} is
 * checked against the running sharded store: its PID files, {@code status} (one leader per group, every group at
 * configuration 1), {@code up} again (already running) and {@code up} with another layout (refused).
 */
class ReadmeQuickStartTest {
    private static final Map<String, String> ENVIRONMENT = Map.of("RAFTKV_JAVA_OPTS", "-Xmx192m");

    private static Command.Result cluster(String... args) {
        List<String> command = new java.util.ArrayList<>(List.of(Project.root().resolve("bin/cluster").toString()));
        command.addAll(List.of(args));
        return Command.run(Duration.ofMinutes(2), ENVIRONMENT, command);
    }

    @Test
    void thePlainClusterThenTheShardedStoreWorkAsWritten() {
        ReadmeQuickStart.assumeAbsent("data/cluster");
        ReadmeQuickStart.assumeAbsent("data/sharded");
        List<String> plain = ReadmeQuickStart.blockWith("bin/cluster up");
        List<String> sharded = ReadmeQuickStart.blockWith("bin/cluster up --sharded");
        // The sharded block's last line stops the store: it runs after the checks of the running store below.
        List<String> shardedUntilDown = sharded.subList(0, sharded.size() - 1);
        String shardedDown = sharded.get(sharded.size() - 1);
        assertTrue(shardedDown.startsWith("bin/cluster down"), shardedDown);
        Path data = Project.root().resolve("data");
        boolean dataExisted = Files.exists(data);
        try {
            Command.Result run = ReadmeQuickStart.run(Duration.ofMinutes(6), ENVIRONMENT,
                    List.of(plain, shardedUntilDown));
            run.requireSuccess();
            List<String> output = ReadmeQuickStart.outputLines(run);
            assertTrue(output.contains("hello, world"), "the plain cluster's get: " + run.output());
            assertTrue(output.contains("hello"), "the sharded store's get: " + run.output());
            assertTrue(output.stream().anyMatch(line -> line.matches(".*\\bLEADER\\b.*")), "kv status: " + run.output());
            assertTrue(run.output().contains("group 100 has a leader"), "progress while it starts: " + run.output());

            // The running sharded store, as bin/cluster sees it.
            Path dir = data.resolve("sharded");
            for (String id : List.of("c1", "c2", "c3", "g100-1", "g200-2", "g300-3")) {
                assertTrue(Files.isRegularFile(dir.resolve(id + ".pid")), id + " has no PID file: " + run.output());
            }
            Command.Result status = cluster("status", dir.toString());
            assertEquals(0, status.exitCode(), status.output());
            for (String group : List.of("100", "200", "300")) {
                assertTrue(status.output().contains("group " + group + ": configuration 1"), status.output());
            }
            assertEquals(3, status.output().lines().filter(line -> line.matches("g\\d+-\\d +\\S+ +LEADER .*")).count(),
                    "one leader per group: " + status.output());
            Command.Result again = cluster("up", dir.toString());
            assertEquals(0, again.exitCode(), again.output());
            assertTrue(again.output().contains("already running"), again.output());
            Command.Result otherLayout = cluster("up", "--groups", "2", dir.toString());
            assertEquals(2, otherLayout.exitCode(), otherLayout.output());

            Command.Result down = ReadmeQuickStart.run(Duration.ofMinutes(2), ENVIRONMENT, List.of(List.of(shardedDown)));
            down.requireSuccess();
            assertTrue(down.output().contains("stopped 12 node(s)"), down.output());
        } finally {
            // The reader's data would stay; the test's goes.
            for (String dir : List.of("data/cluster", "data/sharded")) {
                if (Files.exists(Project.root().resolve(dir))) {
                    Command.run(Duration.ofMinutes(2), List.of(Project.root().resolve("bin/cluster").toString(),
                            "down", "--purge", Project.root().resolve(dir).toString()));
                }
            }
            if (!dataExisted) {
                try {
                    Files.deleteIfExists(data);
                } catch (IOException e) {
                    // Not empty: something else was put there meanwhile; leave it.
                }
            }
        }
    }
}
