package io.raftkv.raft.storage;

import com.google.protobuf.InvalidProtocolBufferException;
import io.raftkv.common.io.BoundedInputStream;
import io.raftkv.proto.raft.SnapshotMetadata;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.zip.CRC32C;

/**
 * A snapshot on disk: the state machine's bytes framed with their metadata and a checksum.
 *
 * <pre>
 *   header   "RAFTSNAP" | format (int32 = 1) | metadata length (int32) | SnapshotMetadata (protobuf)
 *   body     the bytes a SnapshotSource wrote
 *   trailer  body length (int64) | CRC32C of header and body (int32) | "SNAPDONE"
 * </pre>
 *
 * The same bytes travel over the wire in an InstallSnapshot stream, so the receiver checks exactly what the sender
 * wrote. A file is only ever created by writing a temporary file, fsyncing it and renaming it into place; one that fails
 * {@link #verify} was damaged after the fact.
 */
public record SnapshotFile(Path path, SnapshotMetadata metadata, long bodyOffset, long bodyLength) {
    static final byte[] MAGIC = "RAFTSNAP".getBytes(StandardCharsets.US_ASCII);
    static final byte[] END_MAGIC = "SNAPDONE".getBytes(StandardCharsets.US_ASCII);
    static final int FORMAT = 1;
    static final int TRAILER_BYTES = 8 + 4 + 8;
    private static final int MAX_METADATA_BYTES = 1 << 20;

    public long index() {
        return metadata.getIndex();
    }

    public long term() {
        return metadata.getTerm();
    }

    /** The size of the whole file (what a transfer sends). */
    public long fileLength() {
        return bodyOffset + bodyLength + TRAILER_BYTES;
    }

    /** The header that starts a file for {@code metadata}. */
    static byte[] header(SnapshotMetadata metadata) {
        byte[] meta = metadata.toByteArray();
        ByteBuffer header = ByteBuffer.allocate(MAGIC.length + 8 + meta.length);
        header.put(MAGIC).putInt(FORMAT).putInt(meta.length).put(meta);
        return header.array();
    }

    static byte[] trailer(long bodyLength, int crc) {
        return ByteBuffer.allocate(TRAILER_BYTES).putLong(bodyLength).putInt(crc).put(END_MAGIC).array();
    }

    /**
     * Reads and checks the whole file: framing, checksum and metadata.
     *
     * @throws CorruptStorageException naming the file if it is truncated, damaged or not a snapshot file
     */
    public static SnapshotFile verify(Path path) throws IOException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size < MAGIC.length + 8 + TRAILER_BYTES) {
                throw corrupt(path, "it is " + size + " bytes long, too short for a snapshot file (half-written?)");
            }
            ByteBuffer fixed = ByteBuffer.allocate(MAGIC.length + 8);
            readFully(channel, fixed, 0);
            byte[] magic = Arrays.copyOf(fixed.array(), MAGIC.length);
            if (!Arrays.equals(magic, MAGIC)) {
                throw corrupt(path, "it does not start with the snapshot file marker");
            }
            fixed.position(MAGIC.length);
            int format = fixed.getInt();
            int metaLength = fixed.getInt();
            if (format != FORMAT) {
                throw corrupt(path, "it has format " + format + "; this node reads format " + FORMAT);
            }
            if (metaLength < 0 || metaLength > MAX_METADATA_BYTES
                    || MAGIC.length + 8L + metaLength + TRAILER_BYTES > size) {
                throw corrupt(path, "its metadata length " + metaLength + " does not fit the file (truncated?)");
            }
            long bodyOffset = MAGIC.length + 8L + metaLength;
            ByteBuffer trailer = ByteBuffer.allocate(TRAILER_BYTES);
            readFully(channel, trailer, size - TRAILER_BYTES);
            trailer.flip();
            long bodyLength = trailer.getLong();
            int storedCrc = trailer.getInt();
            byte[] end = new byte[END_MAGIC.length];
            trailer.get(end);
            if (!Arrays.equals(end, END_MAGIC)) {
                throw corrupt(path, "it does not end with the completion marker (half-written or truncated)");
            }
            if (bodyOffset + bodyLength + TRAILER_BYTES != size) {
                throw corrupt(path, "its trailer says the body has " + bodyLength + " bytes but the file has "
                        + (size - bodyOffset - TRAILER_BYTES));
            }
            CRC32C crc = new CRC32C();
            ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20);
            long position = 0;
            long covered = size - TRAILER_BYTES;
            byte[] metaBytes = new byte[metaLength];
            while (position < covered) {
                buffer.clear();
                buffer.limit((int) Math.min(buffer.capacity(), covered - position));
                int n = channel.read(buffer, position);
                if (n < 0) {
                    throw corrupt(path, "it ended while being read");
                }
                buffer.flip();
                if (position < bodyOffset) {
                    ByteBuffer view = buffer.duplicate();
                    for (long p = position; p < Math.min(bodyOffset, position + n); p++) {
                        byte b = view.get((int) (p - position));
                        if (p >= MAGIC.length + 8) {
                            metaBytes[(int) (p - MAGIC.length - 8)] = b;
                        }
                    }
                }
                crc.update(buffer);
                position += n;
            }
            if ((int) crc.getValue() != storedCrc) {
                throw corrupt(path, "its checksum does not match its contents");
            }
            SnapshotMetadata metadata;
            try {
                metadata = SnapshotMetadata.parseFrom(metaBytes);
            } catch (InvalidProtocolBufferException e) {
                throw corrupt(path, "its metadata is unreadable");
            }
            return new SnapshotFile(path, metadata, bodyOffset, bodyLength);
        } catch (NoSuchFileException e) {
            throw new CorruptStorageException("snapshot file " + path + " is missing", e);
        }
    }

    /** The body (the state machine's bytes), as a stream. */
    public InputStream openBody() throws IOException {
        FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
        channel.position(bodyOffset);
        return new BoundedInputStream(Channels.newInputStream(channel), bodyLength);
    }

    /** The whole file, for sending; the channel stays readable even if the file is deleted meanwhile. */
    public FileChannel openFile() throws IOException {
        return FileChannel.open(path, StandardOpenOption.READ);
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, position);
            if (n < 0) {
                throw new IOException("unexpected end of " + position);
            }
            position += n;
        }
    }

    private static CorruptStorageException corrupt(Path path, String why) {
        return new CorruptStorageException("snapshot file " + path + " is damaged: " + why);
    }
}
