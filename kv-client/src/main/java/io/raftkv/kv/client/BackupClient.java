package io.raftkv.kv.client;

import io.raftkv.common.backup.BackupFile;
import io.raftkv.common.cli.HostPort;
import io.raftkv.common.client.Answer;
import io.raftkv.common.client.ClientOptions;
import io.raftkv.common.client.LeaderSeekingClient;
import io.raftkv.common.client.SessionPool;
import io.raftkv.proto.backup.BackupsGrpc;
import io.raftkv.proto.backup.SaveChunk;
import io.raftkv.proto.backup.SaveRequest;
import io.raftkv.proto.service.ErrorCode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Takes backups of a Raft group (the KV cluster, a shard group or the shard controller) through its leader's Backups
 * API. The file is written under a temporary name, fsynced, checked whole and only then renamed into place, so a
 * file at the target name is always a complete backup.
 */
public final class BackupClient implements AutoCloseable {
    private final LeaderSeekingClient<BackupsGrpc.BackupsBlockingStub> client;

    public BackupClient(List<HostPort> nodes, ClientOptions options) {
        this.client = new LeaderSeekingClient<>(nodes, BackupsGrpc::newBlockingStub, options, new SessionPool());
    }

    /**
     * Saves a backup of {@code group} (empty: the nodes' first group) to {@code target}, giving the transfer up to
     * {@code transferTimeout}; returns the checked file.
     *
     * @throws KvUnavailableException if no leader could be reached or it did not capture in time
     * @throws UncheckedIOException if the file cannot be written, or arrived damaged
     */
    public BackupFile save(String group, Path target, Duration transferTimeout) {
        Path part = target.resolveSibling(target.getFileName() + ".part");
        try {
            Clerk.translated(() -> client.call("snapshot save", stub -> receive(
                    stub.withDeadlineAfter(transferTimeout.toNanos(), TimeUnit.NANOSECONDS)
                            .save(SaveRequest.newBuilder().setGroup(group).build()), part)));
            BackupFile received = BackupFile.verify(part);
            Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            fsyncDirectory(target.toAbsolutePath().getParent());
            return BackupFile.verify(target);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            try {
                Files.deleteIfExists(part);
            } catch (IOException e) {
                // the error that got here matters more
            }
        }
    }

    /** One attempt: the first chunk says whether this node streams; then every chunk goes to a fresh {@code part}. */
    private static Answer<Long> receive(Iterator<SaveChunk> chunks, Path part) {
        SaveChunk first = chunks.next();
        if (first.getCode() != ErrorCode.OK) {
            return Answer.of(first.getCode(), null, first.getMessage(), first.hasLeader(), first.getLeader(),
                    first.getNodeId());
        }
        long written = 0;
        try (FileChannel file = FileChannel.open(part, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            for (SaveChunk chunk = first; ; chunk = chunks.next()) {
                for (ByteBuffer bytes : chunk.getData().asReadOnlyByteBufferList()) {
                    while (bytes.hasRemaining()) {
                        written += file.write(bytes);
                    }
                }
                if (!chunks.hasNext()) {
                    break;
                }
            }
            file.force(true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + part + ": " + e.getMessage(), e);
        }
        return Answer.of(ErrorCode.OK, written, "", false, null, first.getNodeId());
    }

    private static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    @Override
    public void close() {
        client.close();
    }
}
