package io.raftkv.mapreduce.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.raftkv.mapreduce.Samples;
import io.raftkv.mapreduce.app.AppSpec;
import io.raftkv.testkit.Eventually;
import io.raftkv.testkit.HeadlessBrowser;
import io.raftkv.testkit.Ports;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The coordinator's status page in headless Chromium while a job runs: the map phase's progress bar and a task
 * running on the worker that has it; then the job still ends with the sequential output. Skipped without Chromium,
 * failed instead under {@code RAFTKV_REQUIRE_TOOLS=1}.
 */
class CoordinatorStatusPageTest {
    @TempDir
    Path dir;

    @Test
    void thePageShowsTheMapPhaseAndATaskRunningOnItsWorker() throws Exception {
        HeadlessBrowser browser = browser();
        List<Path> inputs = Samples.texts();
        int metricsPort = Ports.freePort();
        String url = "http://127.0.0.1:" + metricsPort + "/";
        try (JobHarness job = new JobHarness(dir, "--app-class", SlowWordCount.class.getName())) {
            job.startCoordinator(List.of("--reduces", "2", "--metrics-port", Integer.toString(metricsPort)), inputs);
            job.startWorker(Map.of("SLOW_MAP_MS", "1500"), "--slots", "2");
            Eventually.await("a map task running on worker-1", Duration.ofSeconds(60),
                    () -> statusJson(url).contains("\"state\":\"running\",\"workers\":[\"worker-1\"]"));
            String page = browser.dumpDom(url, Duration.ofMillis(1_200));
            assertTrue(page.matches("(?s).*<body[^>]*data-refreshes=\"[1-9].*"), "never refreshed:\n" + page);
            assertTrue(page.contains("<div id=\"job\" data-phase=\"map\">"), page);
            assertTrue(page.contains("data-phase=\"map\" data-done=\"") && page.contains("data-total=\""
                    + inputs.size() + "\""), page);
            assertTrue(page.matches("(?s).*<tr data-task=\"map-\\d+\" data-state=\"running\"><td>map \\d+</td>"
                    + "<td class=\"state-running\">running</td><td>worker-1</td>.*"), page);
            browser.screenshot(url, Path.of("target", "status-pages", "coordinator.png"), Duration.ofMillis(1_200));
            job.awaitSuccess();
            assertEquals(job.sequentialOutput(AppSpec.userClass(SlowWordCount.class.getName(), null), inputs),
                    job.sortedOutput());
        }
    }

    private static String statusJson(String url) {
        try {
            return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url + "status.json")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    private static HeadlessBrowser browser() {
        HeadlessBrowser browser = HeadlessBrowser.forTest().orElse(null);
        assumeTrue(browser != null, "no chromium on the PATH");
        return browser;
    }
}
