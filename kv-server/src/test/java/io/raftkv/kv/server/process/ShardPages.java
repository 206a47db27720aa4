package io.raftkv.kv.server.process;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.kv.client.cli.KvCli;
import io.raftkv.testkit.Eventually;
import io.raftkv.testkit.HeadlessBrowser;
import io.raftkv.testkit.JvmProcess;
import io.raftkv.testkit.Ports;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The pages of a sharded store as a test checks them: {@code kv dashboard --controller} running beside the store
 * (its JSON read directly, its page in headless Chromium when there is one), the controller's page and a replica's
 * status JSON.
 */
final class ShardPages implements AutoCloseable {
    private static final Path SCREENSHOTS = Path.of("target", "status-pages");
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final JvmProcess dashboard;
    private final String url;
    private final Optional<HeadlessBrowser> browser = HeadlessBrowser.forTest();

    ShardPages(String controllerSpec, Path logDir) {
        int port = Ports.freePort();
        this.url = "http://127.0.0.1:" + port + "/";
        this.dashboard = JvmProcess.builder(KvCli.class).name("dashboard")
                .args("--controller", controllerSpec, "dashboard", "--listen", "127.0.0.1:" + port)
                .log(logDir.resolve("dashboard.log")).start();
    }

    /** What the dashboard shows now (empty while it does not answer). */
    String dashboardJson() {
        return get(url + "status.json");
    }

    /** The dashboard's part for group {@code gid}: from its name to the next group's. */
    String dashboardGroup(long gid) {
        String json = dashboardJson();
        int start = json.indexOf("{\"name\":\"" + gid + "\"");
        if (start < 0) {
            return "";
        }
        int next = json.indexOf("{\"name\":\"", start + 1);
        return json.substring(start, next < 0 ? json.length() : next);
    }

    /** Waits until the dashboard shows group {@code gid} pulling a shard, and draws it so when there is a browser. */
    void awaitPulling(long gid) throws Exception {
        Eventually.await("the dashboard shows group " + gid + " pulling", Duration.ofSeconds(20),
                () -> dashboardGroup(gid).contains("\"state\":\"pulling\""));
        if (browser.isPresent()) {
            String page = browser.get().dumpDom(url, Duration.ofMillis(1_200));
            assertTrue(page.matches("(?s).*data-gid=\"" + gid + "\" data-state=\"pulling\".*"), page);
            browser.get().screenshot(url, SCREENSHOTS.resolve("sharded-dashboard-pulling.png"),
                    Duration.ofMillis(1_200));
        }
    }

    /**
     * Once every replica has settled: how long the dashboard then took to show group {@code gid} with no shard
     * pulling.
     */
    long millisUntilServed(long gid) {
        long start = System.nanoTime();
        Eventually.await("the dashboard shows group " + gid + " serving", Duration.ofSeconds(20), () -> {
            String group = dashboardGroup(gid);
            return group.contains("\"state\":\"serving\"") && !group.contains("\"state\":\"pulling\"");
        });
        return (System.nanoTime() - start) / 1_000_000;
    }

    /** The dashboard's page draws configuration {@code configNum}'s map with every one of {@code shards} served. */
    void assertMapDrawn(long configNum, int shards) throws Exception {
        Eventually.await("the dashboard reads configuration " + configNum, Duration.ofSeconds(60),
                () -> dashboardJson().contains("\"config_num\":" + configNum + ",\"shard_owners\""));
        if (browser.isEmpty()) {
            return;
        }
        String page = browser.get().dumpDom(url, Duration.ofMillis(1_500));
        for (int shard = 0; shard < shards; shard++) {
            assertTrue(page.matches("(?s).*data-shard=\"" + shard + "\" data-gid=\"[1-9]\\d*\""
                    + " data-state=\"serving\".*"), "shard " + shard + " is not drawn served:\n" + page);
        }
        browser.get().screenshot(url, SCREENSHOTS.resolve("sharded-dashboard.png"), Duration.ofMillis(1_500));
    }

    /** The controller leader's page draws the newest configuration's grid and the last few of its history. */
    void assertControllerPage(KvProcessCluster controller, long configNum, int shards) throws Exception {
        if (browser.isEmpty()) {
            return;
        }
        String leader = controller.awaitLeaderByMetrics("shardctrler", Duration.ofSeconds(60));
        String page = "http://127.0.0.1:" + controller.metricsPort(leader) + "/";
        String dom = browser.get().dumpDom(page, Duration.ofMillis(2_500));
        assertTrue(dom.contains("configuration " + configNum + ": shards by group"), dom);
        for (int shard = 0; shard < shards; shard++) {
            assertTrue(dom.matches("(?s).*data-shard=\"" + shard + "\" data-gid=\"[1-9]\\d*\".*"),
                    "shard " + shard + " is not drawn with its group:\n" + dom);
        }
        for (long num = configNum; num > Math.max(0, configNum - 3); num--) {
            assertTrue(dom.contains("<tr data-config=\"" + num + "\">"), "configuration " + num + ":\n" + dom);
        }
        browser.get().screenshot(page, SCREENSHOTS.resolve("controller.png"), Duration.ofMillis(2_500));
    }

    /**
     * A replica's status JSON has its group's configuration and each of {@code shards} shards' state, and its page
     * draws the shards it serves.
     */
    void assertReplicaShards(KvProcessCluster group, String name, long configNum, int shards) throws Exception {
        String id = group.ids().getFirst();
        String page = "http://127.0.0.1:" + group.metricsPort(id) + "/";
        String json = get(page + "status.json");
        assertTrue(json.contains("\"group\":\"" + name + "\"") && json.contains("\"config_num\":" + configNum)
                && json.contains("\"shards\":[{\"shard\":0,\"state\":\""), json);
        assertEquals(shards, json.split("\"shard\":", -1).length - 1, json);
        if (browser.isPresent()) {
            String dom = browser.get().dumpDom(page, Duration.ofMillis(1_500));
            String servedRow = "<tr data-shard=\"\\d+\"><td>\\d+</td><td class=\"state state-serving\">serving</td>";
            assertTrue(dom.contains("data-group=\"" + name + "\"") && dom.matches("(?s).*" + servedRow + ".*"), dom);
            browser.get().screenshot(page, SCREENSHOTS.resolve("shard-replica.png"), Duration.ofMillis(1_500));
        }
    }

    private static String get(String address) {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create(address)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            return ""; // not listening (yet)
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    @Override
    public void close() {
        dashboard.close();
    }
}
