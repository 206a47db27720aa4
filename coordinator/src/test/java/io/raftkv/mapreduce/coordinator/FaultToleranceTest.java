package io.raftkv.mapreduce.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.common.faults.Failpoints;
import io.raftkv.mapreduce.Samples;
import io.raftkv.mapreduce.app.AppSpec;
import io.raftkv.testkit.Eventually;
import io.raftkv.testkit.JvmProcess;
import io.raftkv.testkit.Ports;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Workers that die, hang or straggle, and a coordinator that dies: the job still ends with the right output. */
class FaultToleranceTest {
    private static final String SLOW_WC = SlowWordCount.class.getName();
    private static final Map<String, String> STUCK_IN_MAP = Map.of("SLOW_MAP_MS", "600000");
    private static final Map<String, String> STUCK_IN_REDUCE = Map.of("SLOW_REDUCE_MS", "600000");
    private static final Duration MARKER_WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private final List<Path> inputs = Samples.texts();

    @Test
    void workersThatCrashOrHangAtRandomAreReplacedAndTheOutputIsStillRight() throws Exception {
        try (JobHarness job = new JobHarness(dir, "--app", "crash")) {
            // R=4 puts each of the app's four keys in its own partition, so a reduce attempt rolls the dice once.
            // A shared directory, as in the lab's crash test: with map outputs on the workers' own disks, workers
            // dying on every third task would lose them faster than they are re-made (losing them is tested below).
            JvmProcess coordinator = job.startCoordinator(List.of("--reduces", "4", "--task-timeout", "2s",
                    "--shared-work-dir"), inputs);
            List<JvmProcess> workers = new ArrayList<>();
            long deadline = System.nanoTime() + JobHarness.JOB_DEADLINE.toNanos();
            int started = 0;
            // Keep three workers alive until the coordinator is done, as the reference test's restart loops do.
            while (coordinator.isAlive()) {
                assertTrue(System.nanoTime() < deadline, "the job did not finish in time:\n" + job.logs());
                workers.removeIf(worker -> !worker.isAlive());
                while (workers.size() < 3) {
                    workers.add(job.startWorker());
                    started++;
                }
                Thread.sleep(200);
            }
            job.awaitSuccess();
            assertEquals(job.sequentialOutput(AppSpec.builtIn("nocrash"), inputs), job.sortedOutput());
            assertTrue(started > 3 || summary(coordinator).reassignments() > 0,
                    "the crash app should have cost at least one worker or attempt");
        }
    }

    /**
     * A worker halts (as at a power cut) between writing an output whole and renaming it into place: the task is
     * assigned again after its timeout, the half-done temporary file counts for nothing, and the output is right.
     */
    @Test
    void aWorkerThatDiesBetweenAnOutputsWriteAndItsRenameIsReplaced() throws Exception {
        try (JobHarness job = new JobHarness(dir, "--app", "wc")) {
            job.startCoordinator(List.of("--reduces", "2", "--task-timeout", "2s", "--no-backup-tasks"),
                    inputs.subList(0, 3));
            JvmProcess doomed = job.startWorker(Map.of("RAFTKV_FAILPOINT", Failpoints.MR_OUTPUT_BEFORE_RENAME));
            assertEquals(Failpoints.HALT_STATUS, doomed.waitFor(MARKER_WAIT), doomed::output);
            assertTrue(doomed.output().contains("failpoint " + Failpoints.MR_OUTPUT_BEFORE_RENAME + ": halting"),
                    doomed::output);
            job.startWorker();
            job.awaitSuccess();
            assertEquals(job.sequentialOutput(AppSpec.builtIn("wc"), inputs.subList(0, 3)), job.sortedOutput());
        }
    }

    // The kill tests turn backup copies off: they check that a lost attempt is re-assigned after the timeout, and a
    // backup copy could otherwise finish the task first.
    @Test
    void aWorkerKilledInTheMiddleOfAMapTaskIsReplaced() throws Exception {
        int metricsPort = Ports.freePort();
        try (JobHarness job = new JobHarness(dir, "--app-class", SLOW_WC)) {
            job.startCoordinator(List.of("--reduces", "2", "--task-timeout", "2s", "--no-backup-tasks",
                    "--metrics-port", Integer.toString(metricsPort)), inputs.subList(0, 3));
            JvmProcess doomed = job.startWorker(STUCK_IN_MAP);
            Eventually.await("the first worker to be inside a map task", MARKER_WAIT,
                    () -> job.hasFileStartingWith("slow-map-" + doomed.pid()));

            String metrics = scrape(metricsPort);
            assertEquals(1.0, sample(metrics, "mr_tasks", "phase=\"map\"", "state=\"in_progress\""), metrics);
            assertEquals(2.0, sample(metrics, "mr_tasks", "phase=\"map\"", "state=\"idle\""), metrics);
            assertEquals(2.0, sample(metrics, "mr_tasks", "phase=\"reduce\"", "state=\"idle\""), metrics);
            assertEquals(0.0, sample(metrics, "mr_task_reassignments_total"), metrics);
            assertTrue(metrics.contains("jvm_memory_used_bytes"), "JVM metrics are exported");

            doomed.kill();
            job.startWorker();
            job.awaitSuccess();
            assertEquals(job.sequentialOutput(AppSpec.userClass(SLOW_WC, null), inputs.subList(0, 3)),
                    job.sortedOutput());
            String log = job.coordinator().output();
            assertTrue(log.contains("map task 0 attempt 1 on worker worker-1 was not reported in time"), log);
            assertTrue(log.contains("re-assigning map task 0 to worker worker-2"), log);
            assertReassignedOnlyAfterTimeouts(job.coordinator(), "worker-1");
        }
    }

    /**
     * The killed worker ran every map task and holds every map output on its local disk, so the replacement cannot
     * fetch them: the coordinator re-runs exactly those map tasks, and the output is still the sequential one.
     */
    @Test
    void aWorkerKilledInTheMiddleOfAReduceTaskIsReplacedAndItsLostMapOutputsAreRecomputed() throws Exception {
        int workerMetricsPort = Ports.freePort();
        int coordinatorMetricsPort = Ports.freePort();
        try (JobHarness job = new JobHarness(dir, "--app-class", SLOW_WC)) {
            job.startCoordinator(List.of("--reduces", "2", "--task-timeout", "2s", "--no-backup-tasks",
                    "--metrics-port", Integer.toString(coordinatorMetricsPort)), inputs);
            JvmProcess doomed = job.startWorker(STUCK_IN_REDUCE, "--metrics-port",
                    Integer.toString(workerMetricsPort));
            Eventually.await("the first worker to be inside a reduce task", MARKER_WAIT,
                    () -> job.hasFileStartingWith("slow-reduce-" + doomed.pid()));
            // It ran every map task before it got stuck in its first reduce task.
            String metrics = scrape(workerMetricsPort);
            assertEquals(inputs.size(), sample(metrics, "mr_worker_tasks_total", "phase=\"map\"",
                    "outcome=\"succeeded\""), metrics);
            doomed.kill();
            job.startWorker();
            job.awaitSuccess();
            assertEquals(job.sequentialOutput(AppSpec.userClass(SLOW_WC, null), inputs), job.sortedOutput());
            String log = job.coordinator().output();
            assertTrue(log.contains("re-assigning reduce task 0 to worker worker-2"), log);
            assertTrue(log.contains("map output(s) unreachable, re-running map task(s) " + allMapTasks()), log);
            assertReassignedOnlyAfterTimeouts(job.coordinator(), "worker-1");
            // The coordinator exits when the job is done, so its counter is read from the closing log instead.
            assertEquals(inputs.size(), lostMapOutputs(log), log);
        }
    }

    private String allMapTasks() {
        List<Integer> tasks = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            tasks.add(i);
        }
        return tasks.toString();
    }

    @Test
    void aStragglerGetsABackupCopyLongBeforeItsTimeout() throws Exception {
        try (JobHarness job = new JobHarness(dir, "--app-class", SLOW_WC)) {
            job.startCoordinator(List.of("--reduces", "2", "--task-timeout", "10m"), inputs.subList(0, 4));
            JvmProcess straggler = job.startWorker(STUCK_IN_MAP);
            Eventually.await("the straggler to be inside a map task", MARKER_WAIT,
                    () -> job.hasFileStartingWith("slow-map-" + straggler.pid()));
            job.startWorker(Map.of("SLOW_MAP_MS", "300"));
            job.awaitSuccess();
            assertEquals(job.sequentialOutput(AppSpec.userClass(SLOW_WC, null), inputs.subList(0, 4)),
                    job.sortedOutput());
            String log = job.coordinator().output();
            assertTrue(log.contains("backup copy of map task 0 to worker worker-2"), log);
            assertTrue(log.contains("map task 0 completed first by its backup copy"), log);
            Summary summary = summary(job.coordinator());
            assertEquals(1, summary.backups());
            assertEquals(0, summary.reassignments());
            assertTrue(straggler.isAlive(), "the straggler was never written off; it is just slow");
        }
    }

    @Test
    void withoutBackupsAStragglerIsOnlyReplacedAfterItsTimeout() throws Exception {
        try (JobHarness job = new JobHarness(dir, "--app-class", SLOW_WC)) {
            job.startCoordinator(List.of("--reduces", "2", "--task-timeout", "4s", "--no-backup-tasks"),
                    inputs.subList(0, 4));
            JvmProcess straggler = job.startWorker(STUCK_IN_MAP);
            Eventually.await("the straggler to be inside a map task", MARKER_WAIT,
                    () -> job.hasFileStartingWith("slow-map-" + straggler.pid()));
            job.startWorker(Map.of("SLOW_MAP_MS", "300"));
            job.awaitSuccess();
            assertEquals(job.sequentialOutput(AppSpec.userClass(SLOW_WC, null), inputs.subList(0, 4)),
                    job.sortedOutput());
            assertEquals(0, summary(job.coordinator()).backups());
            assertReassignedOnlyAfterTimeouts(job.coordinator(), "worker-1");
        }
    }

    @Test
    void aTaskThatKeepsFailingAbortsTheJob() {
        try (JobHarness job = new JobHarness(dir, "--app-class", FailingMapApp.class.getName())) {
            JvmProcess coordinator = job.startCoordinator(List.of("--reduces", "1", "--max-task-failures", "2"),
                    inputs.subList(0, 1));
            JvmProcess worker = job.startWorker();
            assertEquals(1, coordinator.waitFor(JobHarness.JOB_DEADLINE), coordinator.tail(20));
            String expected = "job aborted: map task 0 failed 2 times; last error: java.lang.IllegalStateException:"
                    + " cannot parse " + inputs.get(0);
            assertEquals("error: " + expected, coordinator.tail(1));
            assertEquals(1, worker.waitFor(JobHarness.WORKER_EXIT), worker.tail(20));
            assertTrue(worker.output().contains("coordinator aborted job"), worker.tail(5));
        }
    }

    @Test
    void workersExitWhenTheCoordinatorIsGone() throws Exception {
        try (JobHarness job = new JobHarness(dir, "--app-class", SLOW_WC)) {
            JvmProcess coordinator = job.startCoordinator(List.of("--reduces", "1"), inputs.subList(0, 1));
            JvmProcess busy = job.startWorker(STUCK_IN_MAP);
            Eventually.await("the first worker to be inside the map task", MARKER_WAIT,
                    () -> job.hasFileStartingWith("slow-map-" + busy.pid()));
            JvmProcess idle = job.startWorker("--give-up-after", "2s");
            Eventually.await("the second worker to have reached the coordinator", MARKER_WAIT,
                    () -> idle.output().contains("reached coordinator"));
            coordinator.kill();
            assertEquals(0, idle.waitFor(JobHarness.WORKER_EXIT), idle.tail(20));
            assertTrue(idle.output().contains("unreachable for"), idle.tail(5));
            assertTrue(idle.output().contains("assuming the job is over"), idle.tail(5));
        }
    }

    /** The counts in the coordinator's closing log line. */
    record Summary(int reassignments, int backups) {}

    private static final Pattern SUMMARY = Pattern.compile(
            "job \\S+ done after \\d+ ms: (\\d+) re-assignments, (\\d+) backup copies");

    private static Summary summary(JvmProcess coordinator) {
        Matcher m = SUMMARY.matcher(coordinator.output());
        assertTrue(m.find(), "no summary line in:\n" + coordinator.tail(20));
        return new Summary(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
    }

    /**
     * The attempt of {@code lostWorker} (killed or stuck) timed out exactly once, and every re-assignment follows a
     * timeout. A cold replacement JVM on two busy cores may itself overrun the short timeout and be replaced once
     * more: that is correct behaviour, so the check counts timeouts instead of expecting exactly one re-assignment.
     * A coordinator that re-assigned a task still within its time would have more re-assignments than timeouts.
     */
    private static void assertReassignedOnlyAfterTimeouts(JvmProcess coordinator, String lostWorker) {
        String log = coordinator.output();
        long lostTimeouts = log.lines()
                .filter(line -> line.contains("on worker " + lostWorker + " was not reported in time")).count();
        long timeouts = log.lines()
                .filter(line -> line.contains("was not reported in time; the task goes back to the queue")).count();
        int reassignments = summary(coordinator).reassignments();
        assertEquals(1, lostTimeouts, log);
        // A reduce that could not fetch lost map outputs sends those map tasks and itself back to the queue.
        long lostOutputRequeues = 0;
        Matcher rerun = RERUN.matcher(log);
        while (rerun.find()) {
            lostOutputRequeues += 1 + rerun.group(1).split(",").length;
        }
        assertTrue(reassignments >= 1 && reassignments <= timeouts + lostOutputRequeues,
                reassignments + " re-assignments after " + timeouts + " timeouts and " + lostOutputRequeues
                        + " tasks re-queued for lost map outputs:\n" + log);
    }

    private static final Pattern RERUN = Pattern.compile("re-running map task\\(s\\) \\[([0-9, ]+)]");

    private static long lostMapOutputs(String log) {
        long lost = 0;
        Matcher rerun = RERUN.matcher(log);
        while (rerun.find()) {
            lost += rerun.group(1).split(",").length;
        }
        return lost;
    }

    private static String scrape(int port) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> response = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        return response.body();
    }

    /** The value of the one sample of {@code name} whose labels contain all of {@code labels}. */
    private static double sample(String metrics, String name, String... labels) {
        List<Double> values = new ArrayList<>();
        for (String line : metrics.lines().toList()) {
            if (!line.startsWith(name + "{") && !line.startsWith(name + " ")) {
                continue;
            }
            boolean all = true;
            for (String label : labels) {
                all &= line.contains(label);
            }
            if (all) {
                values.add(Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)));
            }
        }
        assertEquals(1, values.size(), "samples of " + name + " " + List.of(labels));
        return values.get(0);
    }
}
