package io.raftkv.deploy;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.testkit.Eventually;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs one chaos scenario against a {@link ChaosTarget}: client load starts, the fault script runs while the clients
 * keep going (the load lasts until the script has ended, however long it takes within its cap, so no fault hits an
 * idle cluster), the load continues after the last fault until writes are acknowledged again, then the history is
 * checked (linearizable, every acknowledged append present exactly once). The script records what it measured
 * (leaderless times).
 */
final class ChaosRun<T extends ChaosTarget> {
    /** The longest a cluster may go without a leader after a fault; a generous bound for a loaded 2-core host. */
    static final Duration LEADERLESS_BOUND = Duration.ofSeconds(30);
    /** The bound when every node restarts (cold JVMs, RocksDB recovery). */
    static final Duration RESTART_BOUND = Duration.ofSeconds(90);

    /** The load after the last fault: at least this long, and until writes invoked after it are acknowledged. */
    private static final Duration SETTLE = Duration.ofSeconds(4);
    private static final int WRITES_AFTER_FAULTS = 10;
    private static final Duration RECOVERY_BOUND = Duration.ofSeconds(60);

    /** One fault and a time it caused (how long a group was without a leader, a key without service, ...). */
    record Leaderless(String scenario, String fault, Duration time) {
        @Override
        public String toString() {
            return String.format("%-22s %-48s %6d ms", scenario, fault, time.toMillis());
        }
    }

    /** What a run measured: the script's figures, and when the script ran (System.nanoTime). */
    record Outcome(List<Leaderless> faults, long scriptStart, long scriptEnd) {}

    /** The faults of a scenario; records what it measures through the run it is given. */
    interface Script<T extends ChaosTarget> {
        void inject(ChaosRun<T> run);
    }

    private final T cluster;
    private final String scenario;
    private final List<Leaderless> measured = new ArrayList<>();

    private ChaosRun(T cluster, String scenario) {
        this.cluster = cluster;
        this.scenario = scenario;
    }

    /** As below, on the default keys of the workload (three append keys and a register under the scenario's name). */
    static <T extends ChaosTarget> Outcome run(T cluster, String scenario, int clients, Duration minLoad,
            Duration scriptCap, Script<T> script) {
        return run(cluster, scenario, List.of(scenario + "/a0", scenario + "/a1", scenario + "/a2"), clients, minLoad,
                scriptCap, script);
    }

    /**
     * Runs {@code script} under {@code clients} client threads appending to {@code appendKeys}. The load runs until
     * the script has ended, then at least {@link #SETTLE} more (and at least {@code minLoad} in all), and until writes
     * invoked after the last fault are acknowledged. Fails if the script takes longer than {@code scriptCap}.
     */
    static <T extends ChaosTarget> Outcome run(T cluster, String scenario, List<String> appendKeys, int clients,
            Duration minLoad, Duration scriptCap, Script<T> script) {
        ChaosRun<T> run = new ChaosRun<>(cluster, scenario);
        long start = System.nanoTime();
        ChaosWorkload.Verdict verdict;
        long scriptStart;
        long scriptEnd;
        // The clients' own bound only keeps their loops finite; this run stops them well before it.
        Duration clientBound = Duration.ofSeconds(3).plus(scriptCap).plus(minLoad).plus(SETTLE).plus(RECOVERY_BOUND);
        try (ChaosWorkload load = ChaosWorkload.start(cluster, scenario, appendKeys, clients, clientBound)) {
            Eventually.sleep(Duration.ofSeconds(3));
            scriptStart = System.nanoTime();
            script.inject(run);
            scriptEnd = System.nanoTime();
            Duration scriptTime = Duration.ofNanos(scriptEnd - scriptStart);
            assertTrue(scriptTime.compareTo(scriptCap) <= 0,
                    "the fault script took " + scriptTime.toMillis() + " ms, over its cap of " + scriptCap);
            load.markFaultsOver();
            long end = Math.max(System.nanoTime() + SETTLE.toNanos(), start + minLoad.toNanos());
            Eventually.sleep(Duration.ofNanos(Math.max(0, end - System.nanoTime())));
            Eventually.await(WRITES_AFTER_FAULTS + " writes acknowledged after the last fault", RECOVERY_BOUND,
                    () -> load.okWritesAfterFaults() >= WRITES_AFTER_FAULTS);
            assertTrue(load.allClientsRunning(), "a client stopped before the faults were over");
            load.stop();
            verdict = load.verify();
        } catch (AssertionError | RuntimeException e) {
            throw new AssertionError(scenario + ": " + e.getMessage() + "\n" + cluster.recentLogs(15), e);
        }
        System.out.printf("chaos %s: %s, %.1f s%n", scenario, verdict.summary(), (System.nanoTime() - start) / 1e9);
        run.measured.forEach(leaderless -> System.out.println("measured " + leaderless));
        assertTrue(verdict.problems().isEmpty(), scenario + ": " + verdict.problems());
        assertTrue(verdict.linearizability().isLinearizable(), scenario + ": " + verdict.linearizability());
        assertTrue(verdict.okWritesAfterFaults() >= WRITES_AFTER_FAULTS,
                scenario + ": too few writes acknowledged after the last fault: " + verdict.summary());
        return new Outcome(List.copyOf(run.measured), scriptStart, scriptEnd);
    }

    T cluster() {
        return cluster;
    }

    String scenario() {
        return scenario;
    }

    /** Records a time the script measured for {@code fault}. */
    void record(String fault, Duration time) {
        measured.add(new Leaderless(scenario, fault, time));
    }

    /**
     * The soak's pool of fault scripts: {@code all}, or the ones the system property {@code property} names, as
     * {@code a,b} (each must be one of them).
     */
    static List<String> pool(String property, List<String> all) {
        String chosen = System.getProperty(property, "").strip();
        if (chosen.isEmpty()) {
            return all;
        }
        List<String> pool = java.util.Arrays.stream(chosen.split(",")).map(String::strip).toList();
        for (String name : pool) {
            if (!all.contains(name)) {
                throw new IllegalArgumentException("-D" + property + " names " + name + ", which is not one of "
                        + all);
            }
        }
        return pool;
    }
}
