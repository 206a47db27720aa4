package io.raftkv.deploy;

import io.raftkv.testkit.Eventually;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A Prometheus server (the host's {@code prometheus} binary, Debian's package) run as a child process on loopback:
 * its own config scraping the given targets every second, its own data directory, its web API on a free port.
 */
final class PrometheusProcess implements AutoCloseable {
    private static final Pattern VALUE = Pattern.compile("\"value\":\\[[0-9.e+-]+,\"([^\"]*)\"\\]");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final Process process;
    private final Path log;
    private final int port;

    private PrometheusProcess(Process process, Path log, int port) {
        this.process = process;
        this.log = log;
        this.port = port;
    }

    /** The prometheus binary on the PATH, if any. */
    static Optional<Path> binary() {
        String path = System.getenv().getOrDefault("PATH", "");
        for (String dir : path.split(File.pathSeparator)) {
            Path candidate = Path.of(dir.isEmpty() ? "." : dir, "prometheus");
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** Starts Prometheus scraping {@code targets} (host:port) as job {@code job}, in {@code dir}; waits until ready. */
    static PrometheusProcess start(Path binary, Path dir, String job, List<String> targets) {
        try {
            Path config = dir.resolve("prometheus.yml");
            Files.writeString(config, """
                    global:
                      scrape_interval: 1s
                      scrape_timeout: 1s
                    scrape_configs:
                      - job_name: %s
                        static_configs:
                          - targets: [%s]
                    """.formatted(job, targets.stream().map(t -> '"' + t + '"').collect(Collectors.joining(", "))));
            int port = io.raftkv.testkit.Ports.freePort();
            Path log = dir.resolve("prometheus.log");
            Process process = new ProcessBuilder(binary.toString(), "--config.file=" + config,
                    "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + port)
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            PrometheusProcess prometheus = new PrometheusProcess(process, log, port);
            try {
                Eventually.await("prometheus ready on port " + port, Duration.ofSeconds(60), prometheus::ready);
            } catch (AssertionError e) {
                String output = prometheus.log();
                prometheus.close();
                throw new AssertionError(e.getMessage() + "\n" + output, e);
            }
            return prometheus;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private boolean ready() {
        if (!process.isAlive()) {
            throw new AssertionError("prometheus exited with " + process.exitValue() + ":\n" + log());
        }
        try {
            return get("/-/ready").statusCode() == 200;
        } catch (IOException e) {
            return false;
        }
    }

    /** The values of an instant query's result series (empty when it matches nothing yet). */
    List<String> query(String promql) {
        try {
            HttpResponse<String> response = get("/api/v1/query?query="
                    + URLEncoder.encode(promql, StandardCharsets.UTF_8));
            if (response.statusCode() != 200 || !response.body().contains("\"status\":\"success\"")) {
                throw new AssertionError("query " + promql + " answered " + response.statusCode() + ": "
                        + response.body());
            }
            List<String> values = new ArrayList<>();
            Matcher matcher = VALUE.matcher(response.body());
            while (matcher.find()) {
                values.add(matcher.group(1));
            }
            return values;
        } catch (IOException e) {
            throw new AssertionError("query " + promql + " failed: " + e, e);
        }
    }

    private HttpResponse<String> get(String path) throws IOException {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    String log() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
