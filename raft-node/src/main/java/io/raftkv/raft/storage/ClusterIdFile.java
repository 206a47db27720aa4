package io.raftkv.raft.storage;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Where a node keeps the id of the cluster it belongs to: one line in a file beside its log, written once (when the
 * cluster is made, or when a node that joined learns it), atomically and durably.
 */
public final class ClusterIdFile {
    private final Path file;

    public ClusterIdFile(Path nodeDir) {
        this.file = nodeDir.resolve("cluster-id");
    }

    /** The recorded id, or "" if none is. */
    public String read() throws IOException {
        if (!Files.exists(file)) {
            return "";
        }
        String id = Files.readString(file, StandardCharsets.UTF_8).strip();
        if (!id.matches("[0-9a-f]{1,64}")) {
            throw new CorruptStorageException(file + " does not hold a cluster id: '" + id + "'");
        }
        return id;
    }

    /** Records {@code id}: written to a temporary file, fsynced, renamed over the file, and the directory fsynced. */
    public void write(String id) throws IOException {
        Files.createDirectories(file.getParent());
        Path temp = file.resolveSibling("cluster-id.tmp");
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            channel.write(java.nio.ByteBuffer.wrap((id + "\n").getBytes(StandardCharsets.UTF_8)));
            channel.force(true);
        }
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
            dir.force(true);
        }
    }
}
