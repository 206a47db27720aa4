package io.raftkv.deploy;

import io.raftkv.testkit.Eventually;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * deploy/docker-compose.yml run under a unique project name with its own host ports (the file's port variables), by
 * docker-compose v1 when installed, else the v2 plugin.
 */
final class ComposeProject {
    private final String name;
    private final Map<String, String> environment;
    private final List<String> compose;

    ComposeProject(String name, Map<String, String> environment) {
        this.name = name;
        this.environment = Map.copyOf(environment);
        this.compose = Command.works(List.of("docker-compose", "version")) ? List.of("docker-compose")
                : List.of("docker", "compose");
    }

    String name() {
        return name;
    }

    /** Runs a compose command on the project; fails with its output if it does not exit 0. */
    Command.Result run(Duration timeout, String... args) {
        List<String> command = new ArrayList<>(compose);
        command.addAll(List.of("-p", name, "-f", Project.deploy().resolve("docker-compose.yml").toString()));
        command.addAll(List.of(args));
        return Command.run(timeout, environment, command).requireSuccess();
    }

    /** The id of a service's (single) container. */
    String containerId(String service) {
        String id = run(Duration.ofSeconds(30), "ps", "-q", service).output().strip();
        if (id.isEmpty() || id.contains("\n")) {
            throw new AssertionError("expected one container of " + service + " in " + name + ", got: " + id);
        }
        return id;
    }

    /** A {@code docker inspect} format field of a service's container. */
    String inspect(String service, String format) {
        return Command.run(Duration.ofSeconds(30), List.of("docker", "inspect", "-f", format, containerId(service)))
                .requireSuccess().output().strip();
    }

    /** Waits until the service's health check reports healthy. */
    void awaitHealthy(String service, Duration timeout) {
        Eventually.await(service + " healthy in " + name, timeout,
                () -> inspect(service, "{{.State.Health.Status}}").equals("healthy"));
    }

    /** Stops and removes the project's containers, networks and volumes; never throws (called from cleanup). */
    void down() {
        try {
            run(Duration.ofMinutes(2), "down", "-v", "--remove-orphans", "--timeout", "5");
        } catch (AssertionError e) {
            System.err.println("compose down of " + name + " failed: " + e.getMessage());
        }
    }
}
