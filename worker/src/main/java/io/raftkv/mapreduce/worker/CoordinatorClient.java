package io.raftkv.mapreduce.worker;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.raftkv.common.cli.ExitCodes;
import io.raftkv.common.cli.HostPort;
import io.raftkv.common.cli.StartupException;
import io.raftkv.mapreduce.transfer.OutputUploader;
import io.raftkv.proto.mapreduce.CoordinatorGrpc;
import io.raftkv.proto.mapreduce.DataChunk;
import io.raftkv.proto.mapreduce.OutputChunk;
import io.raftkv.proto.mapreduce.ReadInputRequest;
import io.raftkv.proto.mapreduce.TaskReply;
import io.raftkv.proto.mapreduce.TaskRequest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's line to the coordinator. Calls are retried with back-off while the coordinator cannot be reached;
 * once it has been unreachable for the give-up period (counted from the start of the first failed call, and checked
 * after each failure) the call fails with {@link CoordinatorGoneException}.
 */
final class CoordinatorClient implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CoordinatorClient.class);
    /**
     * Per call. The coordinator answers in well under a millisecond, but the first call of a cold JVM on a busy
     * machine also sets up the connection, which can take seconds.
     */
    private static final Duration RPC_DEADLINE = Duration.ofSeconds(5);
    /** For moving an input split or a reduce output: generous, since a split may be 1 GiB. */
    private static final Duration TRANSFER_DEADLINE = Duration.ofMinutes(10);
    private static final long FIRST_BACKOFF_MILLIS = 50;
    private static final long MAX_BACKOFF_MILLIS = 500;

    private final HostPort address;
    private final Duration giveUpAfter;
    private final ManagedChannel channel;
    private final CoordinatorGrpc.CoordinatorBlockingStub stub;
    private final OutputUploader uploader;
    /** Written by any slot's thread. */
    private volatile boolean everReached;

    CoordinatorClient(HostPort address, Duration giveUpAfter) {
        this.address = address;
        this.giveUpAfter = giveUpAfter;
        this.channel = NettyChannelBuilder.forTarget(address.target()).usePlaintext().build();
        this.stub = CoordinatorGrpc.newBlockingStub(channel);
        this.uploader = new OutputUploader(CoordinatorGrpc.newStub(channel), TRANSFER_DEADLINE);
    }

    /** Safe to call from several slots at once: the channel and stub are thread-safe. */
    TaskReply requestTask(TaskRequest request) {
        String what = request.hasReport() ? "report attempt " + request.getReport().getAttemptId()
                + " and ask for a task" : "ask for a task";
        return call(what, () -> deadlineStub().requestTask(request));
    }

    /**
     * The split of a map task, read from the coordinator (for a worker with no copy of the input). Not retried: a
     * failure fails the attempt, which the coordinator hands out again.
     */
    byte[] readInput(String jobId, int mapTask) throws IOException {
        ReadInputRequest request = ReadInputRequest.newBuilder().setJobId(jobId).setMapTask(mapTask).build();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try {
            Iterator<DataChunk> chunks = stub.withDeadlineAfter(TRANSFER_DEADLINE.toMillis(), TimeUnit.MILLISECONDS)
                    .readInput(request);
            while (chunks.hasNext()) {
                chunks.next().getData().writeTo(bytes);
            }
        } catch (StatusRuntimeException e) {
            throw new IOException("cannot read the input of map task " + mapTask + " from coordinator " + address
                    + ": " + e.getStatus(), e);
        }
        return bytes.toByteArray();
    }

    /** Streams a reduce attempt's output file to the coordinator, which stores it; returns the bytes stored. */
    long uploadOutput(OutputChunk header, Path file) throws IOException, InterruptedException {
        return uploader.upload(header, file);
    }

    private CoordinatorGrpc.CoordinatorBlockingStub deadlineStub() {
        return stub.withDeadlineAfter(RPC_DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
    }

    private <T> T call(String what, Supplier<T> rpc) {
        long firstFailure = 0;
        long backoff = FIRST_BACKOFF_MILLIS;
        while (true) {
            long attemptStart = System.nanoTime();
            try {
                T reply = rpc.get();
                everReached = true;
                return reply;
            } catch (StatusRuntimeException e) {
                Status.Code code = e.getStatus().getCode();
                if (code == Status.Code.FAILED_PRECONDITION || code == Status.Code.INVALID_ARGUMENT) {
                    throw new StartupException("coordinator " + address + " refused this worker: "
                            + e.getStatus().getDescription(), ExitCodes.INVALID);
                }
                if (firstFailure == 0) {
                    firstFailure = attemptStart;
                }
                Duration down = Duration.ofNanos(System.nanoTime() - firstFailure);
                if (down.compareTo(giveUpAfter) >= 0) {
                    throw new CoordinatorGoneException(address, everReached, down, e.getStatus());
                }
                log.debug("cannot {} ({}); retrying in {} ms", what, e.getStatus(), backoff);
                sleep(backoff);
                backoff = Math.min(backoff * 2, MAX_BACKOFF_MILLIS);
                // gRPC otherwise waits out its own reconnect back-off (up to minutes) before trying again.
                channel.resetConnectBackoff();
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    @Override
    public void close() {
        channel.shutdownNow();
        try {
            channel.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The coordinator could not be reached for the whole give-up period. */
    static final class CoordinatorGoneException extends RuntimeException {
        private final boolean everReached;

        CoordinatorGoneException(HostPort address, boolean everReached, Duration down, Status lastStatus) {
            super("coordinator " + address + " unreachable for " + down.toMillis() + " ms (last error: "
                    + lastStatus.getCode() + (lastStatus.getDescription() == null ? "" : ": "
                    + lastStatus.getDescription()) + ")");
            this.everReached = everReached;
        }

        /** Whether the coordinator answered at least once before it went away. */
        boolean everReached() {
            return everReached;
        }
    }
}
