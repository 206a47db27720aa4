package io.raftkv.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.common.cli.ExitCodes;
import io.raftkv.common.cli.Mains;
import io.raftkv.common.grpc.HealthProbe;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * Runs {@link RuntimeProbe} in the project image with the flags the services use, to catch a runtime that lacks
 * what they need (a jlink module, RocksDB's native library) before any service runs in a container.
 */
@RequiresDocker
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class RuntimeProbeTest {
    private static final int PORT = 7000;
    private static GenericContainer<?> probe;

    @BeforeAll
    static void startProbe() {
        Path target = Project.target();
        assertTrue(Files.isDirectory(target.resolve("probe-lib")), "run through Maven: target/probe-lib is missing");
        probe = new GenericContainer<>(DockerImageName.parse(RaftkvImage.get()))
                .withCopyFileToContainer(MountableFile.forHostPath(target.resolve("classes")), "/opt/probe/classes")
                .withCopyFileToContainer(MountableFile.forHostPath(target.resolve("probe-lib")), "/opt/probe/lib")
                .withCreateContainerCmdModifier(cmd -> cmd.withEntrypoint("java"))
                .withCommand("--enable-native-access=ALL-UNNAMED", "-XX:+ExitOnOutOfMemoryError",
                        "-cp", "/opt/probe/classes:/opt/probe/lib/*", RuntimeProbe.class.getName(),
                        "--data-dir", "/var/lib/raftkv/probe", "--port", String.valueOf(PORT),
                        "--serve-seconds", "300")
                .withExposedPorts(PORT)
                .waitingFor(Wait.forLogMessage(".*PROBE READY.*\\n", 1).withStartupTimeout(Duration.ofSeconds(60)));
        probe.start();
    }

    @AfterAll
    static void stopProbe() {
        if (probe != null) {
            probe.stop();
        }
    }

    @Test
    void runtimeLoadsRocksDbAndServesGrpcWithMetricsAndLogging() {
        String logs = probe.getLogs();
        assertTrue(logs.contains("as user raftkv"), logs);
        assertTrue(logs.contains("PROBE rocksdb "), logs);
        assertTrue(logs.contains("PROBE metrics "), logs);
        assertTrue(logs.contains("PROBE grpc serving on port " + PORT), logs);
        assertTrue(logs.contains("logging through Logback works"), logs);
        // With --enable-native-access=ALL-UNNAMED, loading RocksDB's JNI library must not warn.
        assertFalse(logs.contains("restricted method"), logs);
    }

    @Test
    void grpcServerInTheContainerAnswersHealthChecksFromTheHost() {
        String target = probe.getHost() + ":" + probe.getMappedPort(PORT);
        assertEquals(ExitCodes.OK, Mains.execute(new HealthProbe(), target), "health of " + target);
    }

    @Test
    void imageHealthCheckRoleAnswersForALocalServer() throws Exception {
        DockerSupport.requireOrSkip(imageHasLibrary("common-"), "no role in the image ships io.raftkv:common");
        ExecResult result = probe.execInContainer("raftkv", "grpc-health", "127.0.0.1:" + PORT);
        assertEquals(0, result.getExitCode(), result.getStdout() + result.getStderr());
        assertTrue(result.getStdout().contains("SERVING"), result.getStdout());

        ExecResult nobody = probe.execInContainer("raftkv", "grpc-health", "--timeout-ms", "1000", "127.0.0.1:1");
        assertEquals(ExitCodes.UNAVAILABLE, nobody.getExitCode(), nobody.getStdout() + nobody.getStderr());
    }

    private static boolean imageHasLibrary(String prefix) throws IOException {
        RaftkvImage.get();
        try (Stream<Path> libs = Files.list(RaftkvImage.context().resolve("lib"))) {
            return libs.anyMatch(lib -> lib.getFileName().toString().startsWith(prefix));
        }
    }
}
