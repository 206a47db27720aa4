package io.raftkv.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The compose files in deploy/ are accepted by compose v1 ({@code docker-compose}) and, where it is installed, by the
 * v2 plugin ({@code docker compose}), with the services and the monitoring profile they promise; each one's
 * Prometheus config scrapes exactly its services' metrics ports; services name each other on the ports they listen
 * on, and host ports are published under their own numbers. Validation needs no engine. No package source this
 * project's CI can reach offers the v2 plugin, so v2 is checked only where a developer has it (the README says so)
 * rather than by a test that would always be skipped here.
 */
class ComposeFileTest {

    /** A compose file, the Prometheus config its monitoring profile mounts, and what the two must contain. */
    enum ComposeFile {
        PLAIN("docker-compose.yml", "prometheus.yml",
                List.of("kv1", "kv2", "kv3", "mr-coordinator", "mr-worker-1", "mr-worker-2"),
                Set.of("kv1:9101", "kv2:9102", "kv3:9103", "mr-coordinator:9201", "mr-worker-1:9202",
                        "mr-worker-2:9202")),
        SHARDED("docker-compose.sharded.yml", "prometheus.sharded.yml",
                List.of("c1", "c2", "c3", "g100-1", "g100-2", "g100-3", "g200-1", "g200-2", "g200-3",
                        "g300-1", "g300-2", "g300-3", "join"),
                Set.of("c1:9301", "c2:9302", "c3:9303", "g100-1:9311", "g100-2:9312", "g100-3:9313",
                        "g200-1:9321", "g200-2:9322", "g200-3:9323", "g300-1:9331", "g300-2:9332", "g300-3:9333"));

        final String file;
        final String prometheusConfig;
        /** The services outside the monitoring profile, sorted as {@code config --services} is after sorting. */
        final List<String> services;
        final Set<String> metricsEndpoints;

        ComposeFile(String file, String prometheusConfig, List<String> services, Set<String> metricsEndpoints) {
            this.file = file;
            this.prometheusConfig = prometheusConfig;
            this.services = services.stream().sorted().toList();
            this.metricsEndpoints = metricsEndpoints;
        }

        List<String> withPrometheus() {
            List<String> all = new ArrayList<>(services);
            all.add("prometheus");
            return all.stream().sorted().toList();
        }

        /** Each service's lines of the file, by name, in file order. */
        Map<String, String> serviceBlocks() {
            Map<String, StringBuilder> blocks = new LinkedHashMap<>();
            StringBuilder current = null;
            boolean inServices = false;
            for (String line : lines(file)) {
                if (line.isBlank() || line.strip().startsWith("#")) {
                    continue;
                }
                if (!line.startsWith(" ")) {
                    inServices = line.startsWith("services:");
                    current = null;
                    continue;
                }
                Matcher name = SERVICE_NAME.matcher(line);
                if (inServices && name.find()) {
                    current = new StringBuilder();
                    blocks.put(name.group(1), current);
                } else if (current != null) {
                    current.append(line).append('\n');
                }
            }
            Map<String, String> texts = new LinkedHashMap<>();
            blocks.forEach((service, text) -> texts.put(service, text.toString()));
            return texts;
        }
    }

    private static final Pattern SERVICE_NAME = Pattern.compile("^  ([a-z0-9-]+):(\\s.*)?$");
    private static final Pattern METRICS_PORT = Pattern.compile("--metrics-port[\",\\s]+(\\d+)");
    private static final Pattern SCRAPE_TARGET = Pattern.compile("\"([a-z0-9-]+:\\d+)\"");
    /** The ports a service's own process opens: --listen HOST:PORT, --port PORT, --metrics-port PORT. */
    private static final Pattern OWN_PORT =
            Pattern.compile("--(?:listen[\",\\s]+[^\",\\s]*:|port[\",\\s]+|metrics-port[\",\\s]+)(\\d+)");
    /** NAME:PORT not preceded by a host-name character: a candidate address of another service. */
    private static final Pattern ADDRESS = Pattern.compile("(?<![A-Za-z0-9.-])([a-z][a-z0-9-]*):(\\d+)");
    /** A published port: ${VARIABLE:-HOST_PORT}:CONTAINER_PORT. */
    private static final Pattern PUBLISHED = Pattern.compile("\\$\\{([A-Z0-9_]+):-(\\d+)\\}:(\\d+)");

    @ParameterizedTest
    @EnumSource(ComposeFile.class)
    void everyInstalledComposeAcceptsTheFile(ComposeFile file) {
        checkWith(file, List.of("docker-compose"));
        if (Command.works(List.of("docker", "compose", "version"))) {
            checkWith(file, List.of("docker", "compose"));
        }
    }

    /** The Prometheus config scrapes exactly the compose services that serve metrics, on their metrics ports. */
    @ParameterizedTest
    @EnumSource(ComposeFile.class)
    void prometheusConfigScrapesEveryServiceOnItsMetricsPort(ComposeFile file) {
        Set<String> served = new TreeSet<>();
        file.serviceBlocks().forEach((service, block) ->
                firstGroups(METRICS_PORT, block).forEach(port -> served.add(service + ":" + port)));
        assertEquals(new TreeSet<>(file.metricsEndpoints), served, file.file);

        Set<String> scraped = firstGroups(SCRAPE_TARGET, String.join("\n", lines(file.prometheusConfig)));
        assertEquals(served, scraped, file.prometheusConfig);
    }

    /** Every SERVICE:PORT in a service's definition names a port that SERVICE's own process opens. */
    @ParameterizedTest
    @EnumSource(ComposeFile.class)
    void servicesAddressEachOtherOnThePortsTheyOpen(ComposeFile file) {
        Map<String, String> blocks = file.serviceBlocks();
        Map<String, Set<String>> own = new TreeMap<>();
        blocks.forEach((service, block) -> own.put(service, firstGroups(OWN_PORT, block)));
        List<String> wrong = new ArrayList<>();
        int checked = 0;
        for (Map.Entry<String, String> entry : blocks.entrySet()) {
            Matcher address = ADDRESS.matcher(entry.getValue());
            while (address.find()) {
                Set<String> ports = own.get(address.group(1));
                if (ports != null) {
                    checked++;
                    if (!ports.contains(address.group(2))) {
                        wrong.add(entry.getKey() + " names " + address.group() + ", which opens " + ports);
                    }
                }
            }
        }
        assertTrue(wrong.isEmpty(), file.file + ": " + wrong);
        assertTrue(checked > 0, file.file + ": no service address found; has the parser gone stale?");
    }

    /** Host ports default to the number inside (same addresses inside and out), each movable by its own variable. */
    @ParameterizedTest
    @EnumSource(ComposeFile.class)
    void publishedPortsKeepTheirNumberAndHaveTheirOwnVariable(ComposeFile file) {
        Map<String, String> variables = new TreeMap<>();
        List<String> wrong = new ArrayList<>();
        Matcher published = PUBLISHED.matcher(String.join("\n", lines(file.file)));
        while (published.find()) {
            if (!published.group(2).equals(published.group(3))) {
                wrong.add(published.group() + " publishes another number");
            }
            String before = variables.put(published.group(1), published.group(3));
            if (before != null) {
                wrong.add(published.group(1) + " moves both " + before + " and " + published.group(3));
            }
        }
        assertFalse(variables.isEmpty(), file.file + ": no published port found");
        assertTrue(wrong.isEmpty(), file.file + ": " + wrong);
    }

    /**
     * The sharded file's wiring: every group node names the controller's nodes as they list themselves, and the
     * join service joins every group (and only those) with exactly the servers its nodes list as their peers.
     */
    @Test
    void theJoinServiceJoinsEveryGroupWithItsOwnPeers() {
        Map<String, String> blocks = ComposeFile.SHARDED.serviceBlocks();
        Set<String> controllerPeers = new TreeSet<>();
        Map<String, String> groupServers = new TreeMap<>();
        for (Map.Entry<String, String> entry : blocks.entrySet()) {
            String block = entry.getValue();
            if (block.contains("[shardctrler,")) {
                controllerPeers.add(withoutIds(argument(block, "--peers")));
            } else if (block.contains("[kv-server,")) {
                String peers = withoutIds(argument(block, "--peers"));
                assertEquals(withoutIds(argument(blocks.get("c1"), "--peers")), argument(block, "--controller"),
                        entry.getKey() + "'s --controller");
                String before = groupServers.put(argument(block, "--group"), peers);
                assertTrue(before == null || before.equals(peers),
                        entry.getKey() + " lists other peers than its group's other nodes");
            }
        }
        assertEquals(1, controllerPeers.size(), "the controller nodes disagree on --peers: " + controllerPeers);
        assertEquals(Set.of("100", "200", "300"), groupServers.keySet());

        String join = blocks.get("join");
        assertTrue(join.contains("--if-unconfigured"),
                "a later `up` must neither fail on joined groups nor undo a leave: " + join);
        assertEquals(controllerPeers.iterator().next(), argument(join, "--controller"));
        Map<String, String> joined = new TreeMap<>();
        Matcher group = Pattern.compile("\"(\\d+)=([^\"]+)\"").matcher(join);
        while (group.find()) {
            joined.put(group.group(1), group.group(2));
        }
        assertEquals(groupServers, joined);
    }

    private static void checkWith(ComposeFile file, List<String> compose) {
        List<String> version = new ArrayList<>(compose);
        version.add("version");
        boolean present = Command.works(version);
        DockerSupport.requireOrSkip(present, String.join(" ", compose) + " is not installed");

        run(file, compose, "config", "-q");
        // v1 lists services of every profile, v2 only those of active profiles.
        List<String> services = services(file, compose, List.of());
        assertTrue(services.equals(file.services) || services.equals(file.withPrometheus()),
                file.file + " services: " + services);
        assertEquals(file.withPrometheus(), services(file, compose, List.of("--profile", "monitoring")));
    }

    private static List<String> services(ComposeFile file, List<String> compose, List<String> options) {
        List<String> args = new ArrayList<>(options);
        args.addAll(List.of("config", "--services"));
        return run(file, compose, args.toArray(String[]::new)).output().lines().filter(line -> !line.isBlank())
                .sorted().toList();
    }

    private static Command.Result run(ComposeFile file, List<String> compose, String... args) {
        List<String> command = new ArrayList<>(compose);
        command.addAll(List.of("-f", Project.deploy().resolve(file.file).toString()));
        command.addAll(Arrays.asList(args));
        // A fixed project name keeps the output independent of the directory name.
        return Command.run(Duration.ofMinutes(1), Map.of("COMPOSE_PROJECT_NAME", "raftkv"), command).requireSuccess();
    }

    private static List<String> lines(String deployFile) {
        try {
            return Files.readAllLines(Project.deploy().resolve(deployFile));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Group 1 of every match of {@code pattern} in {@code text}. */
    private static Set<String> firstGroups(Pattern pattern, String text) {
        Set<String> found = new TreeSet<>();
        Matcher matcher = pattern.matcher(text);
        while (matcher.find()) {
            found.add(matcher.group(1));
        }
        return found;
    }

    /** The quoted value after {@code option} in a flow-style command, e.g. --peers, "a=a:1,b=b:2". */
    private static String argument(String block, String option) {
        Matcher value = Pattern.compile(Pattern.quote(option) + ",\\s*\"([^\"]+)\"").matcher(block);
        assertTrue(value.find(), "no " + option + " \"...\" in\n" + block);
        return value.group(1);
    }

    /** id=host:port,... as host:port,... */
    private static String withoutIds(String peers) {
        return String.join(",", Arrays.stream(peers.split(",")).map(peer -> peer.substring(peer.indexOf('=') + 1))
                .toList());
    }
}
