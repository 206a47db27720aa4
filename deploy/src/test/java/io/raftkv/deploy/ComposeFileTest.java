package io.raftkv.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * deploy/docker-compose.yml is accepted by compose v1 ({@code docker-compose}) and, where it is installed, by the v2
 * plugin ({@code docker compose}), with the services and the monitoring profile it promises. Validation needs no
 * engine. No package source this project's CI can reach offers the v2 plugin, so v2 is checked only where a developer
 * has it (the README says so) rather than by a test that would always be skipped here.
 */
class ComposeFileTest {
    private static final List<String> SERVICES =
            List.of("kv1", "kv2", "kv3", "mr-coordinator", "mr-worker-1", "mr-worker-2");

    @Test
    void everyInstalledComposeAcceptsTheFile() {
        checkWith(List.of("docker-compose"));
        if (Command.works(List.of("docker", "compose", "version"))) {
            checkWith(List.of("docker", "compose"));
        }
    }

    /** deploy/prometheus.yml scrapes exactly the compose services that serve metrics, on their metrics ports. */
    @Test
    void prometheusConfigScrapesEveryServiceOnItsMetricsPort() throws IOException {
        Set<String> served = new TreeSet<>();
        String service = null;
        boolean inServices = false;
        for (String line : Files.readAllLines(Project.deploy().resolve("docker-compose.yml"))) {
            if (!line.startsWith(" ") && !line.isBlank()) {
                inServices = line.startsWith("services:");
                continue;
            }
            Matcher name = Pattern.compile("^  ([a-z0-9-]+):(\\s.*)?$").matcher(line);
            if (inServices && name.find()) {
                service = name.group(1);
            }
            Matcher port = Pattern.compile("--metrics-port[\",\\s]+(\\d+)").matcher(line);
            if (inServices && service != null && port.find()) {
                served.add(service + ":" + port.group(1));
            }
        }
        assertEquals(Set.of("kv1:9101", "kv2:9102", "kv3:9103", "mr-coordinator:9201", "mr-worker-1:9202",
                "mr-worker-2:9202"), served);

        Set<String> scraped = new TreeSet<>();
        Matcher target = Pattern.compile("\"([a-z0-9-]+:\\d+)\"")
                .matcher(Files.readString(Project.deploy().resolve("prometheus.yml")));
        while (target.find()) {
            scraped.add(target.group(1));
        }
        assertEquals(served, scraped);
    }

    private static void checkWith(List<String> compose) {
        List<String> version = new ArrayList<>(compose);
        version.add("version");
        boolean present = Command.works(version);
        DockerSupport.requireOrSkip(present, String.join(" ", compose) + " is not installed");

        run(compose, "config", "-q");
        // v1 lists services of every profile, v2 only those of active profiles.
        List<String> services = services(compose, List.of());
        assertTrue(services.equals(SERVICES) || services.equals(withPrometheus()), "services: " + services);
        assertEquals(withPrometheus(), services(compose, List.of("--profile", "monitoring")));
    }

    private static List<String> withPrometheus() {
        List<String> all = new ArrayList<>(SERVICES);
        all.add("prometheus");
        return all;
    }

    private static List<String> services(List<String> compose, List<String> options) {
        List<String> args = new ArrayList<>(options);
        args.addAll(List.of("config", "--services"));
        return run(compose, args.toArray(String[]::new)).output().lines().filter(line -> !line.isBlank()).sorted()
                .toList();
    }

    private static Command.Result run(List<String> compose, String... args) {
        List<String> command = new ArrayList<>(compose);
        command.addAll(List.of("-f", Project.deploy().resolve("docker-compose.yml").toString()));
        command.addAll(List.of(args));
        // A fixed project name keeps the output independent of the directory name.
        return Command.run(Duration.ofMinutes(1), Map.of("COMPOSE_PROJECT_NAME", "raftkv"), command).requireSuccess();
    }
}
