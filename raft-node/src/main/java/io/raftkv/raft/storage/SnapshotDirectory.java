package io.raftkv.raft.storage;

import com.google.protobuf.ByteString;
import io.raftkv.common.faults.Failpoints;
import io.raftkv.proto.raft.SnapshotMetadata;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The snapshot directory of a node: {@code snap-<index>-<term>.snap} files (see {@link SnapshotFile} for the format),
 * each created atomically (temporary file, fsync, rename, fsync of the directory). Snapshots this node captured and
 * snapshots received from a leader land here the same way. Which file serves what is the runtime's bookkeeping;
 * this class only creates, checks, lists and deletes files, and is safe to use from several threads.
 */
public final class SnapshotDirectory {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotDirectory.class);
    private static final String SUFFIX = ".snap";
    private static final String TEMP_SUFFIX = ".tmp";

    private final Path dir;
    private final AtomicLong tempCounter = new AtomicLong();

    private SnapshotDirectory(Path dir) {
        this.dir = dir;
    }

    /** Opens (creating if needed) the directory and removes temporary files a crash left behind. */
    public static SnapshotDirectory open(Path dir) throws IOException {
        Files.createDirectories(dir);
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + TEMP_SUFFIX)) {
            for (Path temp : files) {
                LOG.info("removing unfinished snapshot file {}", temp);
                Files.deleteIfExists(temp);
            }
        }
        return new SnapshotDirectory(dir);
    }

    public Path dir() {
        return dir;
    }

    /**
     * Checks every snapshot file in the directory, oldest first.
     *
     * @throws CorruptStorageException naming the first file that is damaged, or whose name does not match its content
     */
    public List<SnapshotFile> verifyAll() throws IOException {
        List<SnapshotFile> out = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path path : files) {
                SnapshotFile file = SnapshotFile.verify(path);
                if (!path.getFileName().toString().equals(fileName(file.metadata()))) {
                    throw new CorruptStorageException("snapshot file " + path + " holds snapshot "
                            + file.index() + "/" + file.term() + ", which does not match its name");
                }
                out.add(file);
            }
        }
        out.sort(Comparator.comparingLong(SnapshotFile::index).thenComparingLong(SnapshotFile::term));
        return out;
    }

    /** The name of the file that holds the snapshot {@code metadata} describes. */
    public static String fileName(SnapshotMetadata metadata) {
        return String.format("snap-%020d-%020d%s", metadata.getIndex(), metadata.getTerm(), SUFFIX);
    }

    /** Writes the state machine's bytes to the body of an output stream. */
    @FunctionalInterface
    public interface BodyWriter {
        void writeTo(OutputStream out) throws IOException;
    }

    /** Writes a snapshot file atomically and returns it (durable when this returns). */
    public SnapshotFile write(SnapshotMetadata metadata, BodyWriter body) throws IOException {
        Path temp = tempFile("capture");
        Path target = dir.resolve(fileName(metadata));
        try {
            byte[] header = SnapshotFile.header(metadata);
            long bodyLength;
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE)) {
                ChecksummedOutput out = new ChecksummedOutput(channel);
                out.write(header);
                body.writeTo(out);
                out.flush();
                bodyLength = out.count() - header.length;
                writeFully(channel, ByteBuffer.wrap(SnapshotFile.trailer(bodyLength, out.crc())));
                channel.force(true);
            }
            Failpoints.hit(Failpoints.SNAPSHOT_BEFORE_RENAME);
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            fsyncDirectory();
            return new SnapshotFile(target, metadata, header.length, bodyLength);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
    }

    /** Starts receiving the file of the snapshot {@code expected} describes, as a sender streams it. */
    public Incoming receive(SnapshotMetadata expected) throws IOException {
        Path temp = tempFile("incoming");
        FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        return new Incoming(expected, temp, channel);
    }

    /** Deletes a snapshot file (readers that already opened it keep reading it). */
    public void delete(SnapshotFile file) {
        try {
            Files.deleteIfExists(file.path());
        } catch (IOException e) {
            LOG.warn("cannot delete snapshot file {}: {}", file.path(), e.toString());
        }
    }

    /** A snapshot file being received: bytes arrive in order, then {@link #finish} checks and installs it. */
    public final class Incoming implements AutoCloseable {
        private final SnapshotMetadata expected;
        private final Path temp;
        private final FileChannel channel;
        private long written;
        private boolean done;

        private Incoming(SnapshotMetadata expected, Path temp, FileChannel channel) {
            this.expected = expected;
            this.temp = temp;
            this.channel = channel;
        }

        /** Appends the bytes that start at {@code offset} (which must be where the previous bytes ended). */
        public void write(long offset, ByteString data) throws IOException {
            if (offset != written) {
                throw new IOException("snapshot chunk at offset " + offset + " but " + written + " bytes arrived");
            }
            for (ByteBuffer buffer : data.asReadOnlyByteBufferList()) {
                writeFully(channel, buffer);
            }
            written += data.size();
        }

        /**
         * Makes the file durable, checks it (checksum, and metadata equal to what the sender announced) and renames it
         * into place.
         */
        public SnapshotFile finish() throws IOException {
            done = true;
            try {
                channel.force(true);
                channel.close();
                SnapshotFile file = SnapshotFile.verify(temp);
                if (!file.metadata().equals(expected)) {
                    throw new CorruptStorageException("received snapshot " + temp + " describes "
                            + file.index() + "/" + file.term() + " but was announced as " + expected.getIndex()
                            + "/" + expected.getTerm());
                }
                Path target = dir.resolve(fileName(expected));
                Failpoints.hit(Failpoints.SNAPSHOT_BEFORE_RENAME);
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                fsyncDirectory();
                return new SnapshotFile(target, file.metadata(), file.bodyOffset(), file.bodyLength());
            } catch (IOException | RuntimeException e) {
                Files.deleteIfExists(temp);
                throw e;
            }
        }

        /** Gives up: the temporary file goes. */
        @Override
        public void close() {
            if (done) {
                return;
            }
            done = true;
            try {
                channel.close();
                Files.deleteIfExists(temp);
            } catch (IOException e) {
                LOG.warn("cannot remove {}: {}", temp, e.toString());
            }
        }
    }

    private Path tempFile(String kind) {
        return dir.resolve(kind + "-" + ProcessHandle.current().pid() + "-" + tempCounter.incrementAndGet()
                + TEMP_SUFFIX);
    }

    private void fsyncDirectory() throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    private static void writeFully(FileChannel channel, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            channel.write(buffer);
        }
    }

    /** Buffers writes to a channel and keeps a CRC32C and a count of what passed through. */
    private static final class ChecksummedOutput extends OutputStream {
        private final FileChannel channel;
        private final ByteBuffer buffer = ByteBuffer.allocate(1 << 16);
        private final CRC32C crc = new CRC32C();
        private long count;

        ChecksummedOutput(FileChannel channel) {
            this.channel = channel;
        }

        @Override
        public void write(int b) throws IOException {
            if (!buffer.hasRemaining()) {
                drain();
            }
            buffer.put((byte) b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            while (len > 0) {
                if (!buffer.hasRemaining()) {
                    drain();
                }
                int n = Math.min(len, buffer.remaining());
                buffer.put(b, off, n);
                off += n;
                len -= n;
                count += n;
            }
        }

        @Override
        public void flush() throws IOException {
            drain();
        }

        /** Keeps the file open: the caller writes the trailer after the body. */
        @Override
        public void close() throws IOException {
            drain();
        }

        long count() {
            return count;
        }

        int crc() {
            return (int) crc.getValue();
        }

        private void drain() throws IOException {
            buffer.flip();
            crc.update(buffer.duplicate());
            writeFully(channel, buffer);
            buffer.clear();
        }
    }
}
