package io.raftkv.mapreduce.worker;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.raftkv.mapreduce.io.AtomicFileWriter;
import io.raftkv.mapreduce.io.JobFiles;
import io.raftkv.mapreduce.io.PartitionChecksum;
import io.raftkv.proto.mapreduce.DataChunk;
import io.raftkv.proto.mapreduce.FetchPartitionRequest;
import io.raftkv.proto.mapreduce.MapOutputLocation;
import io.raftkv.proto.mapreduce.MapOutputsGrpc;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches partition Y of every map task's output for one reduce attempt, from the workers that hold them, into a
 * local directory. A failed fetch is retried a few times; what still fails is collected and thrown together
 * ({@link UnreachableMapOutputsException}), so the coordinator re-runs exactly those map tasks. A worker that cannot
 * be reached at all is not tried again for its other outputs, so a dead worker costs the retries once, not once per
 * map task. Every partition is checked against the length and CRC32C recorded when it was written: a mismatch is a
 * failed fetch, never reduced. Outputs this worker holds itself are checked the same way and read in place. Used by one slot thread at a time.
 */
final class MapOutputFetcher {
    private static final Logger log = LoggerFactory.getLogger(MapOutputFetcher.class);
    static final int ATTEMPTS = 3;
    private static final long FIRST_BACKOFF_MILLIS = 200;
    /** Per partition file; a fetch that stalls this long (a paused worker) counts as failed. */
    private static final Duration FETCH_DEADLINE = Duration.ofMinutes(2);

    private final String selfId;
    private final LocalStore store;
    private final WorkerMetrics metrics;

    MapOutputFetcher(String selfId, LocalStore store, WorkerMetrics metrics) {
        this.selfId = selfId;
        this.store = store;
        this.metrics = metrics;
    }

    /** A partition whose bytes do not match the length and checksum recorded when it was written. */
    static final class CorruptPartitionException extends IOException {
        CorruptPartitionException(String message) {
            super(message);
        }
    }

    /** Why fetching one partition failed for good; {@code workerDown} when its worker could not be reached. */
    private record Failure(String error, boolean workerDown) {}

    /** The map outputs that could not be fetched, with the last error. */
    static final class UnreachableMapOutputsException extends IOException {
        private final List<MapOutputLocation> unreachable;

        UnreachableMapOutputsException(List<MapOutputLocation> unreachable, String lastError) {
            super("could not fetch the output of map task(s) " + unreachable.stream()
                    .map(location -> location.getMapTask() + " from " + location.getWorkerId() + " at "
                            + location.getAddress()).toList() + "; last error: " + lastError);
            this.unreachable = List.copyOf(unreachable);
        }

        List<MapOutputLocation> unreachable() {
            return unreachable;
        }
    }

    /** Returns the local file of each map task's partition, in map task order. */
    List<Path> fetch(String jobId, int partition, List<MapOutputLocation> sources, Path into) throws IOException {
        List<Path> files = new ArrayList<>(sources.size());
        List<MapOutputLocation> unreachable = new ArrayList<>();
        Set<String> deadAddresses = new HashSet<>();
        Map<String, ManagedChannel> channels = new HashMap<>();
        String lastError = null;
        long started = System.nanoTime();
        long fetchedBytes = 0;
        long ownBytes = 0;
        try {
            for (MapOutputLocation source : sources) {
                if (source.getWorkerId().equals(selfId)) {
                    Path own = store.existingMapOutput(jobId, source.getMapTask(), partition);
                    if (own == null) {
                        lastError = "this worker no longer holds the output of map task " + source.getMapTask();
                        unreachable.add(source);
                        continue;
                    }
                    PartitionChecksum recorded = PartitionChecksum.readBeside(own);
                    PartitionChecksum actual = PartitionChecksum.of(own);
                    if (!recorded.equals(actual)) {
                        metrics.fetchFailed("corrupt");
                        lastError = "this worker's own " + own.getFileName() + " is corrupt: " + mismatch(recorded,
                                actual);
                        unreachable.add(source);
                        continue;
                    }
                    files.add(own);
                    ownBytes += actual.length();
                    continue;
                }
                if (source.getAddress().isEmpty()) {
                    lastError = "the coordinator knows no address for worker " + source.getWorkerId();
                    unreachable.add(source);
                    continue;
                }
                if (deadAddresses.contains(source.getAddress())) {
                    unreachable.add(source);
                    continue;
                }
                Path file = JobFiles.intermediate(into, source.getMapTask(), partition);
                ManagedChannel channel = channels.computeIfAbsent(source.getAddress(),
                        address -> NettyChannelBuilder.forTarget(address).usePlaintext().build());
                Failure failure = fetchWithRetries(channel, jobId, source, partition, file);
                if (failure == null) {
                    files.add(file);
                    fetchedBytes += Files.size(file);
                } else {
                    lastError = failure.error();
                    unreachable.add(source);
                    if (failure.workerDown()) {
                        // Its other outputs are lost too: report them without paying the retries again.
                        deadAddresses.add(source.getAddress());
                    }
                }
            }
        } finally {
            channels.values().forEach(ManagedChannel::shutdownNow);
        }
        if (!unreachable.isEmpty()) {
            throw new UnreachableMapOutputsException(unreachable, lastError);
        }
        // The benchmark adds these lines up: the shuffle's bytes and the time reduces spent getting them.
        log.info("partition {}: fetched {} bytes from other workers and checked {} bytes of its own in {} ms",
                partition, fetchedBytes, ownBytes, (System.nanoTime() - started) / 1_000_000);
        return files;
    }

    /** Null on success, else why the last try failed. */
    private Failure fetchWithRetries(ManagedChannel channel, String jobId, MapOutputLocation source, int partition,
            Path file) throws IOException {
        long backoff = FIRST_BACKOFF_MILLIS;
        Failure failure = null;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            long started = System.nanoTime();
            try {
                long bytes = fetchOnce(channel, jobId, source.getMapTask(), partition, file);
                metrics.fetched(bytes, Duration.ofNanos(System.nanoTime() - started));
                return null;
            } catch (StatusRuntimeException e) {
                Status status = e.getStatus();
                boolean down = status.getCode() == Status.Code.UNAVAILABLE
                        || status.getCode() == Status.Code.DEADLINE_EXCEEDED;
                metrics.fetchFailed(down ? "unreachable" : "error");
                failure = new Failure(status.getCode() + (status.getDescription() == null ? ""
                        : ": " + status.getDescription()), down);
            } catch (CorruptPartitionException e) {
                metrics.fetchFailed("corrupt");
                failure = new Failure(e.getMessage(), false);
            }
            log.info("fetching mr-{}-{} from {} at {} failed (try {} of {}): {}", source.getMapTask(), partition,
                    source.getWorkerId(), source.getAddress(), attempt, ATTEMPTS, failure.error());
            if (attempt < ATTEMPTS) {
                sleep(backoff);
                backoff *= 3;
                channel.resetConnectBackoff();
            }
        }
        return failure;
    }

    /** Fetches one partition into {@code file} and checks it against the checksum served with it; its length. */
    private static long fetchOnce(ManagedChannel channel, String jobId, int mapTask, int partition, Path file)
            throws IOException {
        FetchPartitionRequest request = FetchPartitionRequest.newBuilder()
                .setJobId(jobId).setMapTask(mapTask).setPartition(partition).build();
        PartitionChecksum.Running running = new PartitionChecksum.Running();
        PartitionChecksum recorded = null;
        // Written without fsync: a fetched copy only lives until this reduce attempt ends.
        try (AtomicFileWriter writer = new AtomicFileWriter(file)) {
            Iterator<DataChunk> chunks = MapOutputsGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(FETCH_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                    .fetchPartition(request);
            while (chunks.hasNext()) {
                DataChunk chunk = chunks.next();
                if (recorded == null) {
                    if (!chunk.hasTotalBytes() || !chunk.hasCrc32C()) {
                        throw new CorruptPartitionException("mr-" + mapTask + "-" + partition
                                + " was served without its length and checksum");
                    }
                    recorded = new PartitionChecksum(chunk.getTotalBytes(), chunk.getCrc32C());
                }
                running.update(chunk.getData().asReadOnlyByteBuffer());
                chunk.getData().writeTo(writer.stream());
            }
            PartitionChecksum actual = running.value();
            if (recorded == null || !recorded.equals(actual)) {
                throw new CorruptPartitionException("mr-" + mapTask + "-" + partition + " does not match its checksum: "
                        + (recorded == null ? "nothing was served" : mismatch(recorded, actual)));
            }
            writer.commit(false);
            return actual.length();
        }
    }

    private static String mismatch(PartitionChecksum recorded, PartitionChecksum actual) {
        return "recorded " + recorded.length() + " bytes with CRC32C " + Integer.toHexString(recorded.crc32c())
                + ", got " + actual.length() + " bytes with CRC32C " + Integer.toHexString(actual.crc32c());
    }

    private static void sleep(long millis) throws IOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while fetching map outputs", e);
        }
    }
}
