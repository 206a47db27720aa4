package io.raftkv.raft.transport;

import com.google.protobuf.UnsafeByteOperations;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.micrometer.core.instrument.Counter;
import io.raftkv.proto.raft.InstallSnapshotReply;
import io.raftkv.proto.raft.Message;
import io.raftkv.proto.raft.RaftTransportGrpc;
import io.raftkv.proto.raft.SnapshotChunk;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams one snapshot file to a peer as an InstallSnapshot client stream, one chunk at a time: a chunk is read from
 * the file only when gRPC's flow control says the stream can take it, so at most a chunk or two of the file is in
 * memory however large it is. Runs on its own thread (it blocks on the file and on flow control), and always ends by
 * telling the node how the transfer went.
 */
final class SnapshotSender implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotSender.class);

    private final ClusterIdentity cluster;
    private final String group;
    private final String peer;
    private final Message message;
    private final FileChannel file;
    private final RaftTransportGrpc.RaftTransportStub stub;
    private final TransportOptions options;
    private final TransportListener listener;
    private final Counter bytesSent;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private ClientCallStreamObserver<SnapshotChunk> call;
    private InstallSnapshotReply reply;
    private Throwable failure;
    private boolean finished;

    SnapshotSender(String group, ClusterIdentity cluster, String peer, Message message, FileChannel file,
            RaftTransportGrpc.RaftTransportStub stub, TransportOptions options, TransportListener listener,
            Counter bytesSent) {
        this.group = group;
        this.cluster = cluster;
        this.peer = peer;
        this.message = message;
        this.file = file;
        this.stub = stub;
        this.options = options;
        this.listener = listener;
        this.bytesSent = bytesSent;
    }

    @Override
    public void run() {
        boolean success = false;
        long index = message.getSnapshot().getIndex();
        try (FileChannel channel = file) {
            long size = channel.size();
            long start = System.nanoTime();
            stub.installSnapshot(new Observer());
            ByteBuffer buffer = ByteBuffer.allocate(options.snapshotChunkBytes());
            long offset = 0;
            boolean first = true;
            while (first || offset < size) {
                awaitReady();
                buffer.clear();
                int n = 0;
                while (buffer.hasRemaining() && offset + n < size) {
                    int r = channel.read(buffer, offset + n);
                    if (r < 0) {
                        break;
                    }
                    n += r;
                }
                byte[] chunk = new byte[n];
                buffer.flip();
                buffer.get(chunk);
                SnapshotChunk.Builder c = SnapshotChunk.newBuilder()
                        .setOffset(offset)
                        .setData(UnsafeByteOperations.unsafeWrap(chunk));
                if (first) {
                    c.setMessage(message).setGroup(group).setClusterId(cluster.id());
                }
                call.onNext(c.build());
                bytesSent.increment(n);
                offset += n;
                first = false;
                if (n == 0) {
                    break;
                }
            }
            call.onCompleted();
            InstallSnapshotReply answer = awaitReply();
            success = answer.getAccepted();
            if (success) {
                LOG.info("{}: sent snapshot {} ({} bytes) to {} in {} ms", group, index, size, peer,
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            } else {
                LOG.warn("{}: {} refused snapshot {}: {}", group, peer, index, answer.getError());
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("{}: sending snapshot {} to {} failed: {}", group, index, peer, e.toString());
            cancel(e);
        } catch (InterruptedException e) {
            cancel(e);
            Thread.currentThread().interrupt();
        } finally {
            listener.onSnapshotSent(peer, success);
        }
    }

    private void awaitReady() throws InterruptedException, IOException {
        long deadline = System.nanoTime() + options.snapshotStallTimeout().toNanos();
        lock.lock();
        try {
            while (!call.isReady()) {
                if (finished) {
                    throw new IOException("the stream ended early"
                            + (failure != null ? ": " + Status.fromThrowable(failure) : "")
                            + (reply != null ? ": " + reply.getError() : ""));
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IOException("no progress for " + options.snapshotStallTimeout().toSeconds() + " s");
                }
                changed.awaitNanos(left);
            }
        } finally {
            lock.unlock();
        }
    }

    private InstallSnapshotReply awaitReply() throws InterruptedException, IOException {
        long deadline = System.nanoTime() + options.snapshotStallTimeout().toNanos();
        lock.lock();
        try {
            while (!finished) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IOException("no answer within " + options.snapshotStallTimeout().toSeconds() + " s");
                }
                changed.awaitNanos(left);
            }
            if (reply == null) {
                throw new IOException("the stream failed: " + Status.fromThrowable(failure));
            }
            return reply;
        } finally {
            lock.unlock();
        }
    }

    private void cancel(Throwable cause) {
        ClientCallStreamObserver<SnapshotChunk> c = call;
        if (c != null) {
            c.cancel("snapshot transfer abandoned", cause);
        }
    }

    private void signal() {
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private final class Observer implements ClientResponseObserver<SnapshotChunk, InstallSnapshotReply> {
        @Override
        public void beforeStart(ClientCallStreamObserver<SnapshotChunk> requestStream) {
            call = requestStream;
            requestStream.setOnReadyHandler(SnapshotSender.this::signal);
        }

        @Override
        public void onNext(InstallSnapshotReply value) {
            lock.lock();
            try {
                reply = value;
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void onError(Throwable t) {
            lock.lock();
            try {
                failure = t;
                finished = true;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void onCompleted() {
            lock.lock();
            try {
                finished = true;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }
    }
}
