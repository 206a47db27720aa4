package io.raftkv.raft.service;

import com.google.protobuf.ByteString;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.raftkv.common.backup.BackupFile;
import io.raftkv.common.backup.BackupHeader;
import io.raftkv.proto.backup.BackupsGrpc;
import io.raftkv.proto.backup.SaveChunk;
import io.raftkv.proto.backup.SaveRequest;
import io.raftkv.proto.service.ErrorCode;
import io.raftkv.proto.service.LeaderHint;
import io.raftkv.raft.api.CapturedState;
import io.raftkv.raft.api.NotLeaderException;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.runtime.RaftNode;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code Backups} API of a replica process: the leader of a group captures its state machine after a read barrier
 * and streams it as a backup file, at the pace the client reads it. The capture is a point-in-time copy (a RocksDB
 * checkpoint), so applying goes on while it streams.
 */
final class BackupService extends BackupsGrpc.BackupsImplBase {
    private static final Logger LOG = LoggerFactory.getLogger(BackupService.class);
    /** How long the read barrier before a capture may take (no quorum: the reply says TIMEOUT). */
    private static final Duration BARRIER_TIMEOUT = Duration.ofSeconds(10);

    private final ProcessNodes nodes;

    BackupService(ProcessNodes nodes) {
        this.nodes = nodes;
    }

    @Override
    public void save(SaveRequest request, StreamObserver<SaveChunk> out) {
        RaftNode node = nodes.find(request.getGroup());
        if (node == null) {
            refuse(out, "", ErrorCode.INVALID_ARGUMENT, ProcessNodes.noGroup(request.getGroup()), null);
            return;
        }
        // The stream's readiness callbacks must be set here, before this method returns.
        ChunkedOutput chunks = new ChunkedOutput((ServerCallStreamObserver<SaveChunk>) out);
        Thread.ofVirtual().name("backup-" + node.group()).start(() -> stream(node, out, chunks));
    }

    private void stream(RaftNode node, StreamObserver<SaveChunk> out, ChunkedOutput chunks) {
        CapturedState state;
        try {
            state = node.captureForBackup(BARRIER_TIMEOUT);
        } catch (Exception e) {
            Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
            switch (cause) {
                case NotLeaderException n -> refuse(out, node.id(), ErrorCode.NOT_LEADER, "not the leader",
                        LeaderHint.newBuilder().setLeaderId(n.leaderId()).setLeaderAddress(n.leaderAddress()).build());
                case TimeoutException t -> refuse(out, node.id(), ErrorCode.TIMEOUT, "no read barrier within "
                        + BARRIER_TIMEOUT.toSeconds() + " s (no quorum?)", null);
                default -> refuse(out, node.id(), ErrorCode.TIMEOUT, "cannot capture the state: " + cause, null);
            }
            return;
        }
        long start = System.nanoTime();
        try (state) {
            BackupHeader header = new BackupHeader(node.group(), node.clusterId(), node.id(),
                    state.metadata().getIndex(), state.metadata().getTerm(), System.currentTimeMillis(),
                    members(Membership.of(state.metadata().getConfState()), node.configuration()),
                    new java.util.TreeMap<>(state.source().describe()));
            BackupFile.write(header, state.source()::writeTo, chunks);
            chunks.finish();
            out.onCompleted();
            LOG.info("{}: streamed a backup of index {} ({} bytes) in {} ms", node.id(), header.index(),
                    chunks.sent(), (System.nanoTime() - start) / 1_000_000);
        } catch (IOException | RuntimeException e) {
            LOG.warn("{}: a backup stream ended early: {}", node.id(), e.toString());
            out.onError(io.grpc.Status.ABORTED.withDescription("the backup stream failed: " + e.getMessage())
                    .asRuntimeException());
        }
    }

    /** The voters at the captured index, with the addresses known now. */
    private static List<String> members(Membership captured, Membership now) {
        List<String> members = new ArrayList<>();
        for (String id : captured.voters()) {
            members.add(id + "=" + now.addresses().getOrDefault(id, captured.addresses().getOrDefault(id, "")));
        }
        return members;
    }

    private static void refuse(StreamObserver<SaveChunk> out, String nodeId, ErrorCode code, String message,
            LeaderHint leader) {
        SaveChunk.Builder chunk = SaveChunk.newBuilder().setCode(code).setMessage(message).setNodeId(nodeId);
        if (leader != null) {
            chunk.setLeader(leader);
        }
        out.onNext(chunk.build());
        out.onCompleted();
    }

    /**
     * The backup's bytes as OK chunks of a server stream: a full chunk waits until the client's transport can take it
     * (gRPC flow control), so a slow client slows the stream rather than filling the server's memory.
     */
    private static final class ChunkedOutput extends java.io.OutputStream {
        private static final int CHUNK_BYTES = 256 * 1024;
        private final ServerCallStreamObserver<SaveChunk> call;
        private final Object readiness = new Object();
        private final byte[] buffer = new byte[CHUNK_BYTES];
        private int filled;
        private long sent;
        private volatile boolean cancelled;

        ChunkedOutput(ServerCallStreamObserver<SaveChunk> call) {
            this.call = call;
            call.setOnReadyHandler(this::wake);
            call.setOnCancelHandler(() -> {
                cancelled = true;
                wake();
            });
        }

        private void wake() {
            synchronized (readiness) {
                readiness.notifyAll();
            }
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            while (length > 0) {
                int n = Math.min(length, buffer.length - filled);
                System.arraycopy(bytes, offset, buffer, filled, n);
                filled += n;
                offset += n;
                length -= n;
                if (filled == buffer.length) {
                    send();
                }
            }
        }

        /** Sends what is buffered (the stream's end). */
        void finish() throws IOException {
            if (filled > 0) {
                send();
            }
        }

        long sent() {
            return sent;
        }

        private void send() throws IOException {
            synchronized (readiness) {
                while (!call.isReady() && !cancelled) {
                    try {
                        readiness.wait(1000); // woken by onReady; the timeout re-checks in case a wake-up was missed
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IOException("interrupted while streaming a backup", e);
                    }
                }
            }
            if (cancelled) {
                throw new IOException("the client cancelled the backup");
            }
            call.onNext(SaveChunk.newBuilder().setCode(ErrorCode.OK).setData(ByteString.copyFrom(buffer, 0, filled))
                    .build());
            sent += filled;
            filled = 0;
        }
    }
}
