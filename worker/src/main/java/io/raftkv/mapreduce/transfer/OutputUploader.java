package io.raftkv.mapreduce.transfer;

import com.google.protobuf.ByteString;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.raftkv.proto.mapreduce.CoordinatorGrpc;
import io.raftkv.proto.mapreduce.OutputChunk;
import io.raftkv.proto.mapreduce.WriteOutputReply;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Streams a reduce task's output file to the coordinator (WriteOutput) with flow control: the calling thread sends
 * a chunk only when the call is ready and otherwise waits for gRPC's on-ready signal, so memory stays at a few
 * chunks however large the file.
 */
public final class OutputUploader {
    private final CoordinatorGrpc.CoordinatorStub stub;
    private final Duration deadline;

    public OutputUploader(CoordinatorGrpc.CoordinatorStub stub, Duration deadline) {
        this.stub = stub;
        this.deadline = deadline;
    }

    /** Uploads {@code file} as the output of the attempt {@code header} names; returns the bytes stored. */
    public long upload(OutputChunk header, Path file) throws IOException, InterruptedException {
        Object readiness = new Object();
        CompletableFuture<WriteOutputReply> reply = new CompletableFuture<>();
        ClientResponseObserver<OutputChunk, WriteOutputReply> responses = new ClientResponseObserver<>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<OutputChunk> requests) {
                requests.setOnReadyHandler(() -> signal(readiness));
            }

            @Override
            public void onNext(WriteOutputReply value) {
                reply.complete(value);
            }

            @Override
            public void onError(Throwable t) {
                reply.completeExceptionally(t);
                signal(readiness);
            }

            @Override
            public void onCompleted() {
                reply.completeExceptionally(new IOException("the coordinator closed the upload without a reply"));
            }
        };
        ClientCallStreamObserver<OutputChunk> requests = (ClientCallStreamObserver<OutputChunk>) stub
                .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS).writeOutput(responses);
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[FileRangeStreamer.CHUNK_BYTES];
            boolean first = true;
            while (true) {
                int read = in.readNBytes(buffer, 0, buffer.length);
                if (read == 0 && !first) {
                    break;
                }
                awaitReady(requests, reply, readiness);
                OutputChunk.Builder chunk = first ? header.toBuilder() : OutputChunk.newBuilder();
                requests.onNext(chunk.setData(ByteString.copyFrom(buffer, 0, read)).build());
                first = false;
                if (read < buffer.length) {
                    break;
                }
            }
            requests.onCompleted();
        } catch (IOException | RuntimeException | InterruptedException e) {
            requests.cancel("upload abandoned: " + e, e);
            throw e;
        }
        try {
            return reply.get(deadline.toMillis(), TimeUnit.MILLISECONDS).getBytes();
        } catch (ExecutionException e) {
            throw failure(e.getCause());
        } catch (TimeoutException e) {
            requests.cancel("no reply in time", e);
            throw new IOException("the coordinator did not confirm the upload within " + deadline);
        }
    }

    /** Waits until the call can take another message, or has failed (then throws why). */
    private static void awaitReady(ClientCallStreamObserver<OutputChunk> requests,
            CompletableFuture<WriteOutputReply> reply, Object readiness) throws IOException, InterruptedException {
        synchronized (readiness) {
            while (!requests.isReady() && !reply.isDone()) {
                // The timeout only guards against a missed signal; the on-ready handler normally wakes us.
                readiness.wait(100);
            }
        }
        if (reply.isCompletedExceptionally()) {
            try {
                reply.join();
            } catch (RuntimeException e) {
                throw failure(e.getCause() != null ? e.getCause() : e);
            }
        }
    }

    private static void signal(Object readiness) {
        synchronized (readiness) {
            readiness.notifyAll();
        }
    }

    private static IOException failure(Throwable cause) {
        if (cause instanceof IOException io) {
            return io;
        }
        String message = cause instanceof StatusRuntimeException status ? status.getStatus().toString()
                : cause.toString();
        return new IOException("uploading the output failed: " + message, cause);
    }
}
