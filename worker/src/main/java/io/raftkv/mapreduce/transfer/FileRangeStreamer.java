package io.raftkv.mapreduce.transfer;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.raftkv.proto.mapreduce.DataChunk;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Serves bytes {@code [begin, end)} of a file as a stream of {@link DataChunk}s, with gRPC flow control: it writes
 * only while the call is ready and resumes from the call's on-ready callback, so a slow reader never makes the
 * server buffer the whole file. All its callbacks run on the call's serialized executor, one at a time.
 */
public final class FileRangeStreamer implements Runnable {
    /** Well below gRPC's default 4 MiB message limit, large enough that per-message costs do not matter. */
    public static final int CHUNK_BYTES = 256 * 1024;

    private final FileChannel channel;
    private final ServerCallStreamObserver<DataChunk> call;
    private final String what;
    private long position;
    private final long end;
    /** The first message's extra fields, until the first message is sent. */
    private DataChunk header;
    private boolean finished;

    private FileRangeStreamer(FileChannel channel, long begin, long end, ServerCallStreamObserver<DataChunk> call,
            String what, DataChunk header) {
        this.header = header;
        this.channel = channel;
        this.position = begin;
        this.end = end;
        this.call = call;
        this.what = what;
    }

    /**
     * Starts streaming; call it from the gRPC method. The file is opened here, so a missing file fails the call at
     * once (the caller maps that to a status).
     *
     * @param what names the content in error messages
     */
    public static void start(Path file, long begin, long end, StreamObserver<DataChunk> responses, String what)
            throws IOException {
        start(file, begin, end, responses, what, DataChunk.getDefaultInstance());
    }

    /**
     * As above; the first message also carries {@code header}'s fields (sent even for an empty range, so the reader
     * always gets them).
     */
    public static void start(Path file, long begin, long end, StreamObserver<DataChunk> responses, String what,
            DataChunk header) throws IOException {
        ServerCallStreamObserver<DataChunk> call = (ServerCallStreamObserver<DataChunk>) responses;
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
        FileRangeStreamer streamer = new FileRangeStreamer(channel, begin, Math.min(end, channel.size()), call, what,
                header);
        call.setOnCancelHandler(streamer::close);
        call.setOnReadyHandler(streamer);
        // gRPC also calls the handler once the method returns; starting here is harmless (same executor).
        streamer.run();
    }

    /** Sends chunks while the reader has room; called again by gRPC each time it has room once more. */
    @Override
    public void run() {
        try {
            while (!finished && call.isReady()) {
                if (position >= end) {
                    if (header != null && !header.equals(DataChunk.getDefaultInstance())) {
                        call.onNext(header);
                    }
                    close();
                    call.onCompleted();
                    return;
                }
                ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(CHUNK_BYTES, end - position));
                while (buffer.hasRemaining()) {
                    int read = channel.read(buffer, position + buffer.position());
                    if (read < 0) {
                        throw new IOException(what + " shrank while it was being sent");
                    }
                }
                buffer.flip();
                position += buffer.remaining();
                DataChunk.Builder chunk = header != null ? header.toBuilder() : DataChunk.newBuilder();
                header = null;
                call.onNext(chunk.setData(ByteString.copyFrom(buffer)).build());
            }
        } catch (IOException | RuntimeException e) {
            if (!finished) {
                close();
                call.onError(Status.DATA_LOSS.withDescription("cannot read " + what + ": " + e.getMessage())
                        .asRuntimeException());
            }
        }
    }

    private void close() {
        finished = true;
        try {
            channel.close();
        } catch (IOException ignored) {
            // Read-only: nothing to lose.
        }
    }
}
