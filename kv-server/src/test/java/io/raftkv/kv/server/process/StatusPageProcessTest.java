package io.raftkv.kv.server.process;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.raftkv.common.client.ClientOptions;
import io.raftkv.kv.client.Clerk;
import io.raftkv.kv.main.KvServerMain;
import io.raftkv.testkit.HeadlessBrowser;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The status page of kv-server processes, as headless Chromium shows it: the leader's page lists every member with
 * its lag, a follower's names the leader; both refresh from /status.json. Screenshots go to
 * {@code target/status-pages/}. Skipped without Chromium, failed instead under {@code RAFTKV_REQUIRE_TOOLS=1}.
 */
class StatusPageProcessTest {
    private static final Path SCREENSHOTS = Path.of("target", "status-pages");
    private static final Pattern REFRESHES = Pattern.compile("<body[^>]*data-refreshes=\"(\\d+)\"");

    @TempDir
    Path dir;

    @Test
    void theLeadersPageListsTheMembersAndAFollowersPageNamesTheLeader() throws Exception {
        HeadlessBrowser browser = browser();
        try (KvProcessCluster cluster = new KvProcessCluster(dir, KvServerMain.class, List.of())) {
            cluster.startAll();
            String leader = cluster.awaitLeader(Duration.ofSeconds(60));
            String follower = cluster.ids().stream().filter(id -> !id.equals(leader)).findFirst().orElseThrow();
            try (Clerk clerk = cluster.clerk(ClientOptions.DEFAULT.withTimeout(Duration.ofSeconds(15)))) {
                for (int i = 0; i < 20; i++) {
                    clerk.put("k" + i, "v" + i);
                }
            }

            String json = get("http://127.0.0.1:" + cluster.metricsPort(leader) + "/status.json");
            assertTrue(json.startsWith("{\"node\":\"" + leader + "\",") && json.contains("\"role\":\"leader\"")
                    && json.contains("\"members\":[{\"id\":\"n1\""), json);

            String leaderUrl = "http://127.0.0.1:" + cluster.metricsPort(leader) + "/";
            String page = browser.dumpDom(leaderUrl, Duration.ofMillis(2_500));
            assertRefreshed(page);
            assertTrue(page.contains("data-group=\"kv\" data-role=\"leader\""), page);
            for (String id : cluster.ids()) {
                assertTrue(page.contains("<tr data-member=\"" + id + "\""), id + " is not listed:\n" + page);
            }
            assertTrue(page.contains("<td>" + leader + " (leader)</td>"), page);

            String followerUrl = "http://127.0.0.1:" + cluster.metricsPort(follower) + "/";
            String followerPage = browser.dumpDom(followerUrl, Duration.ofMillis(2_500));
            assertRefreshed(followerPage);
            assertTrue(followerPage.contains("data-group=\"kv\" data-role=\"follower\""), followerPage);
            assertTrue(followerPage.contains("<dd data-field=\"leader\">" + leader + "</dd>"), followerPage);

            browser.screenshot(leaderUrl, SCREENSHOTS.resolve("kv-leader.png"), Duration.ofMillis(2_500));
            browser.screenshot(followerUrl, SCREENSHOTS.resolve("kv-follower.png"), Duration.ofMillis(2_500));
        }
    }

    /** The page's script fetched status.json and drew it at least once. */
    private static void assertRefreshed(String page) {
        Matcher m = REFRESHES.matcher(page);
        assertTrue(m.find() && Integer.parseInt(m.group(1)) >= 1, "the page never refreshed:\n" + page);
    }

    private static String get(String url) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertTrue(response.statusCode() == 200, url + " answered " + response.statusCode());
        return response.body();
    }

    private static HeadlessBrowser browser() {
        var found = HeadlessBrowser.find();
        if (found.isEmpty()) {
            String required = System.getenv("RAFTKV_REQUIRE_TOOLS");
            if (required != null && (required.strip().equals("1") || required.strip().equalsIgnoreCase("true"))) {
                throw new AssertionError("RAFTKV_REQUIRE_TOOLS=1 but no chromium on the PATH");
            }
            assumeTrue(false, "no chromium on the PATH");
        }
        return found.get();
    }
}
