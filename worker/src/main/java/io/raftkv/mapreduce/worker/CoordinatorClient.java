package io.raftkv.mapreduce.worker;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.raftkv.common.cli.ExitCodes;
import io.raftkv.common.cli.HostPort;
import io.raftkv.common.cli.StartupException;
import io.raftkv.proto.mapreduce.CoordinatorGrpc;
import io.raftkv.proto.mapreduce.TaskReply;
import io.raftkv.proto.mapreduce.TaskRequest;
import java.time.Duration;
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
    private static final long FIRST_BACKOFF_MILLIS = 50;
    private static final long MAX_BACKOFF_MILLIS = 500;

    private final HostPort address;
    private final Duration giveUpAfter;
    private final ManagedChannel channel;
    private final CoordinatorGrpc.CoordinatorBlockingStub stub;
    /** Written by any slot's thread. */
    private volatile boolean everReached;

    CoordinatorClient(HostPort address, Duration giveUpAfter) {
        this.address = address;
        this.giveUpAfter = giveUpAfter;
        this.channel = NettyChannelBuilder.forTarget(address.target()).usePlaintext().build();
        this.stub = CoordinatorGrpc.newBlockingStub(channel);
    }

    /** Safe to call from several slots at once: the channel and stub are thread-safe. */
    TaskReply requestTask(TaskRequest request) {
        String what = request.hasReport() ? "report attempt " + request.getReport().getAttemptId()
                + " and ask for a task" : "ask for a task";
        return call(what, () -> deadlineStub().requestTask(request));
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
