package io.raftkv.deploy;

import com.github.dockerjava.api.DockerClient;
import java.time.Duration;
import java.util.function.Consumer;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.output.OutputFrame.OutputType;
import org.testcontainers.containers.startupcheck.StartupCheckStrategy;
import org.testcontainers.utility.DockerImageName;

/** Runs a container to completion, like {@code docker run --rm}, and returns its exit code and output. */
final class OneShot {
    private OneShot() {}

    record Result(int exitCode, String stdout, String stderr) {
        String output() {
            return stdout + stderr;
        }
    }

    static Result run(String image, String... command) {
        return run(image, container -> { }, command);
    }

    static Result run(String image, Consumer<GenericContainer<?>> customize, String... command) {
        try (GenericContainer<?> container = new GenericContainer<>(DockerImageName.parse(image))) {
            container.withCommand(command)
                    .withStartupCheckStrategy(new ExitedStartupCheck().withTimeout(Duration.ofSeconds(90)));
            customize.accept(container);
            container.start();
            Long exitCode = container.getCurrentContainerInfo().getState().getExitCodeLong();
            return new Result(exitCode == null ? -1 : exitCode.intValue(),
                    container.getLogs(OutputType.STDOUT), container.getLogs(OutputType.STDERR));
        }
    }

    /** Startup is over once the container has exited, whatever its exit code. */
    private static final class ExitedStartupCheck extends StartupCheckStrategy {
        @Override
        public StartupStatus checkStartupState(DockerClient client, String containerId) {
            var state = getCurrentState(client, containerId);
            boolean exited = !Boolean.TRUE.equals(state.getRunning()) && state.getFinishedAt() != null
                    && !state.getFinishedAt().startsWith("0001-");
            return exited ? StartupStatus.SUCCESSFUL : StartupStatus.NOT_YET_KNOWN;
        }
    }
}
