package io.raftkv.kv.state;

import io.raftkv.common.io.NonClosingOutputStream;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;

/**
 * The snapshot stream: the files of a RocksDB checkpoint in a small self-describing archive.
 *
 * <pre>
 *   magic "RKVSNAP1"  version (int)  applied index (long)  file count (int)
 *   per file:  name (modified UTF-8)  size (long)  bytes  CRC32C of the bytes (int)
 *   CRC32C of everything above (int)
 * </pre>
 *
 * Every number is big-endian. Per-file checksums name the damaged file; the final one covers the header and names.
 */
final class SnapshotArchive {
    private static final long MAGIC = 0x524b56534e415031L; // "RKVSNAP1"
    private static final int VERSION = 1;
    private static final int MAX_FILES = 1_000_000;
    private static final int BUFFER = 64 * 1024;

    private SnapshotArchive() {}

    /** Writes every file of {@code dir} (a flat directory) as an archive covering {@code index}. */
    static void write(Path dir, long index, OutputStream sink) throws IOException {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path entry : entries) {
                if (!Files.isRegularFile(entry)) {
                    throw new IOException("cannot archive " + entry + ": snapshots hold plain files only");
                }
                files.add(entry);
            }
        }
        files.sort(null);
        CRC32C total = new CRC32C();
        DataOutputStream out = new DataOutputStream(new CheckedOutputStream(
                new BufferedOutputStream(new NonClosingOutputStream(sink), BUFFER), total));
        out.writeLong(MAGIC);
        out.writeInt(VERSION);
        out.writeLong(index);
        out.writeInt(files.size());
        byte[] buffer = new byte[BUFFER];
        for (Path file : files) {
            out.writeUTF(file.getFileName().toString());
            long size = Files.size(file);
            out.writeLong(size);
            CRC32C crc = new CRC32C();
            long copied = 0;
            try (InputStream in = Files.newInputStream(file)) {
                int read;
                while (copied < size && (read = in.read(buffer, 0, (int) Math.min(buffer.length, size - copied))) > 0) {
                    out.write(buffer, 0, read);
                    crc.update(buffer, 0, read);
                    copied += read;
                }
            }
            if (copied != size) {
                throw new IOException(file + " changed while it was being archived");
            }
            out.writeInt((int) crc.getValue());
        }
        out.writeInt((int) total.getValue());
        out.flush();
    }

    /**
     * Unpacks an archive into the empty directory {@code dir}, fsyncing every file, and returns the applied index it
     * covers.
     *
     * @throws IOException saying what is wrong, naming the file, when the stream is not a complete, intact archive
     */
    static long read(InputStream source, Path dir) throws IOException {
        CRC32C total = new CRC32C();
        DataInputStream in = new DataInputStream(new CheckedInputStream(new BufferedInputStream(source, BUFFER), total));
        long index;
        int count;
        try {
            if (in.readLong() != MAGIC) {
                throw new IOException("the snapshot is not a raftkv snapshot archive (bad magic number)");
            }
            int version = in.readInt();
            if (version != VERSION) {
                throw new IOException("the snapshot archive has format version " + version + "; this server reads "
                        + VERSION);
            }
            index = in.readLong();
            count = in.readInt();
        } catch (EOFException e) {
            throw new IOException("the snapshot archive is truncated in its header", e);
        }
        if (index < 0 || count < 0 || count > MAX_FILES) {
            throw new IOException("the snapshot archive is corrupt: its header says index " + index + " and "
                    + count + " files");
        }
        byte[] buffer = new byte[BUFFER];
        String name = "(header)";
        try {
            for (int i = 0; i < count; i++) {
                name = in.readUTF();
                checkName(name);
                long size = in.readLong();
                if (size < 0) {
                    throw new IOException("the snapshot archive is corrupt: file " + name + " has size " + size);
                }
                CRC32C crc = new CRC32C();
                try (FileChannel file = FileChannel.open(dir.resolve(name), StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.WRITE)) {
                    long remaining = size;
                    while (remaining > 0) {
                        int chunk = (int) Math.min(buffer.length, remaining);
                        in.readFully(buffer, 0, chunk);
                        crc.update(buffer, 0, chunk);
                        ByteBuffer bytes = ByteBuffer.wrap(buffer, 0, chunk);
                        while (bytes.hasRemaining()) {
                            file.write(bytes);
                        }
                        remaining -= chunk;
                    }
                    file.force(true);
                }
                if (in.readInt() != (int) crc.getValue()) {
                    throw new IOException("the snapshot archive is corrupt: checksum mismatch in file " + name);
                }
            }
            name = "(trailer)";
            int expected = (int) total.getValue();
            if (in.readInt() != expected) {
                throw new IOException("the snapshot archive is corrupt: its header or file names fail the checksum");
            }
        } catch (EOFException e) {
            throw new IOException("the snapshot archive is truncated in file " + name, e);
        }
        if (in.read() != -1) {
            throw new IOException("the snapshot archive has unexpected bytes after its end");
        }
        StateDirectory.fsyncDirectory(dir);
        return index;
    }

    private static void checkName(String name) throws IOException {
        if (name.isEmpty() || name.length() > 255 || name.equals(".") || name.equals("..") || name.contains("/")
                || name.contains("\\") || name.indexOf('\0') >= 0) {
            throw new IOException("the snapshot archive is corrupt: bad file name '" + name + "'");
        }
    }
}
