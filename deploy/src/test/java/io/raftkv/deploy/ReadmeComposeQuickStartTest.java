package io.raftkv.deploy;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * README.md's container quick start, as written: {@code bin/compose up} (building raftkv:latest when it is missing or
 * older than the jars, on the base image CI names in RAFTKV_BASE_IMAGE), a put and a get through the published ports,
 * and {@code bin/compose down -v}.
 */
@RequiresDocker
class ReadmeComposeQuickStartTest {
    @Test
    void theComposeClusterWorksAsWritten() {
        List<String> block = ReadmeQuickStart.blockWith("bin/compose up");
        Map<String, String> environment = new HashMap<>();
        RaftkvImage.baseImage().ifPresent(base -> environment.put("RAFTKV_BASE_IMAGE", base));
        try {
            Command.Result run = ReadmeQuickStart.run(Duration.ofMinutes(8), environment, List.of(block));
            run.requireSuccess();
            List<String> output = ReadmeQuickStart.outputLines(run);
            assertTrue(output.contains("hello"), "the get: " + run.output());
            assertTrue(run.output().contains("waiting for kv1-kv3 to elect a leader"), "progress: " + run.output());
        } finally {
            Command.run(Duration.ofMinutes(2), List.of(Project.root().resolve("bin/compose").toString(), "down",
                    "-v"));
        }
    }
}
