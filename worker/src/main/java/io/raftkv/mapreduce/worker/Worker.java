package io.raftkv.mapreduce.worker;

import io.raftkv.mapreduce.app.MapReduceApp;
import io.raftkv.proto.mapreduce.TaskRequest;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A worker process: N slots, each its own thread running the loop "ask for a task (reporting the last one), run
 * it" ({@link WorkerSlot}) with its own app instance, until the coordinator says the job is over. The slots share
 * only the coordinator client (a gRPC channel, safe to share) and the metrics; they hold no lock, so one slot
 * blocked on a call or a long task never holds up another.
 */
final class Worker {
    private static final Logger log = LoggerFactory.getLogger(Worker.class);

    private final List<MapReduceApp> apps;
    private final TaskRequest baseRequest;
    private final CoordinatorClient coordinator;
    private final WorkerMetrics metrics;
    private final LocalStore store;
    private final InputSource inputFrom;

    /**
     * @param apps one app instance per slot: an app instance runs one task at a time
     * @param baseRequest the worker's id, app and map output address
     */
    Worker(List<MapReduceApp> apps, TaskRequest baseRequest, CoordinatorClient coordinator, WorkerMetrics metrics,
            LocalStore store, InputSource inputFrom) {
        if (apps.isEmpty()) {
            throw new IllegalArgumentException("a worker needs at least one slot");
        }
        this.apps = List.copyOf(apps);
        this.baseRequest = baseRequest;
        this.coordinator = coordinator;
        this.metrics = metrics;
        this.store = store;
        this.inputFrom = inputFrom;
    }

    /**
     * Runs until one slot hears that the job ended; returns the process exit code (a failure when the job was
     * aborted). The other slots are then interrupted: nothing they run can matter any more (a copy that lost the
     * race, or a wait), and the coordinator, which tracks end notices per worker, may already be gone when they ask.
     * An exception in one slot (the coordinator gone or refusing this worker) stops the others the same way and is
     * rethrown.
     */
    int run() {
        AtomicBoolean reached = new AtomicBoolean();
        AtomicInteger tasksRun = new AtomicInteger();
        AtomicInteger threads = new AtomicInteger();
        // Daemon threads: a slot stuck in app code that ignores the interrupt must not keep the process alive.
        ExecutorService pool = Executors.newFixedThreadPool(apps.size(), task -> {
            Thread thread = new Thread(task, "slot-" + threads.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        try {
            ExecutorCompletionService<Integer> slots = new ExecutorCompletionService<>(pool);
            for (MapReduceApp app : apps) {
                slots.submit(() -> new WorkerSlot(app, baseRequest, coordinator, metrics, reached, tasksRun, store,
                        inputFrom).run());
            }
            int exitCode = result(slots.take());
            log.info("job over; this worker ran {} task attempts in {} slots", tasksRun.get(), apps.size());
            return exitCode;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the slots", e);
        } finally {
            pool.shutdownNow();
        }
    }

    private static int result(Future<Integer> slot) throws InterruptedException {
        try {
            return slot.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            throw new IllegalStateException("a worker slot failed: " + e.getCause(), e.getCause());
        }
    }
}
