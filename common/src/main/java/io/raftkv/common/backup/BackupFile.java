package io.raftkv.common.backup;

import io.raftkv.common.io.BoundedInputStream;
import io.raftkv.common.io.NonClosingOutputStream;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;

/**
 * A backup: one group's state machine at one applied index, in a file that checks itself.
 *
 * <pre>
 *   "RKVBACKP" | format (int32 = 1) | header length (int32) | header
 *   header   group, cluster id, source node (UTF) | index, term, created millis (int64) | members (int32 + UTF each)
 *            | details (int32 + UTF name and UTF value each)
 *   body     the state machine's snapshot bytes
 *   trailer  body length (int64) | CRC32C of everything before the trailer (int32) | "BACKDONE"
 * </pre>
 *
 * Numbers are big-endian. The writer streams it (the body's length is known only at its end, so it is in the
 * trailer); {@link #verify} reads the whole file and checks the framing and the checksum before anything trusts it.
 */
public record BackupFile(Path path, BackupHeader header, long bodyOffset, long bodyLength, int checksum) {
    private static final byte[] MAGIC = "RKVBACKP".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] END_MAGIC = "BACKDONE".getBytes(StandardCharsets.US_ASCII);
    /** The format this version writes and reads. */
    public static final int FORMAT = 1;
    private static final int TRAILER_BYTES = 8 + 4 + 8;
    private static final int MAX_HEADER_BYTES = 1 << 20;
    private static final int MAX_MEMBERS = 10_000;

    /** Writes the state a body writer produces. */
    @FunctionalInterface
    public interface BodyWriter {
        void writeTo(OutputStream out) throws IOException;
    }

    /**
     * Writes a whole backup to {@code sink} (left open): the framing around what {@code body} writes. The caller makes
     * it durable.
     */
    public static void write(BackupHeader header, BodyWriter body, OutputStream sink) throws IOException {
        CRC32C crc = new CRC32C();
        CountingOutput counted = new CountingOutput(new CheckedOutputStream(new NonClosingOutputStream(sink), crc));
        BufferedOutputStream out = new BufferedOutputStream(counted, 1 << 16);
        byte[] encoded = encode(header);
        out.write(MAGIC);
        out.write(ByteBuffer.allocate(8).putInt(FORMAT).putInt(encoded.length).array());
        out.write(encoded);
        out.flush();
        long bodyStart = counted.count;
        body.writeTo(new NonClosingOutputStream(out));
        out.flush();
        long bodyLength = counted.count - bodyStart;
        sink.write(ByteBuffer.allocate(TRAILER_BYTES).putLong(bodyLength).putInt((int) crc.getValue())
                .put(END_MAGIC).array());
        sink.flush();
    }

    /**
     * Reads and checks the whole file: its framing, its checksum and its header.
     *
     * @throws IOException with a one-line reason naming the file when it is missing, truncated, damaged or not a backup
     */
    public static BackupFile verify(Path path) throws IOException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size < MAGIC.length + 8 + TRAILER_BYTES) {
                throw damaged(path, "it is " + size + " bytes long, too short for a backup (truncated?)");
            }
            ByteBuffer fixed = readAt(channel, 0, MAGIC.length + 8);
            byte[] magic = new byte[MAGIC.length];
            fixed.get(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                throw damaged(path, "it is not a raftkv backup (it does not start with the backup marker)");
            }
            int format = fixed.getInt();
            int headerLength = fixed.getInt();
            if (format != FORMAT) {
                throw damaged(path, "it has format " + format + "; this version reads format " + FORMAT);
            }
            long bodyOffset = MAGIC.length + 8L + headerLength;
            if (headerLength < 0 || headerLength > MAX_HEADER_BYTES || bodyOffset + TRAILER_BYTES > size) {
                throw damaged(path, "its header length " + headerLength + " does not fit the file (truncated?)");
            }
            ByteBuffer trailer = readAt(channel, size - TRAILER_BYTES, TRAILER_BYTES);
            long bodyLength = trailer.getLong();
            int stored = trailer.getInt();
            byte[] end = new byte[END_MAGIC.length];
            trailer.get(end);
            if (!Arrays.equals(end, END_MAGIC)) {
                throw damaged(path, "it does not end with the completion marker (truncated or half-written)");
            }
            if (bodyOffset + bodyLength + TRAILER_BYTES != size) {
                throw damaged(path, "its trailer says the body has " + bodyLength + " bytes but the file has "
                        + (size - bodyOffset - TRAILER_BYTES));
            }
            if (checksum(channel, size - TRAILER_BYTES) != stored) {
                throw damaged(path, "its checksum does not match its contents");
            }
            BackupHeader header = decode(path, readAt(channel, MAGIC.length + 8, headerLength).array());
            return new BackupFile(path, header, bodyOffset, bodyLength, stored);
        } catch (NoSuchFileException e) {
            throw new IOException("backup " + path + " does not exist", e);
        }
    }

    /** The checksum as text (eight hex digits): what tells two backups apart. */
    public String checksumHex() {
        return String.format("%08x", checksum);
    }

    /** The size of the whole file. */
    public long fileLength() {
        return bodyOffset + bodyLength + TRAILER_BYTES;
    }

    /** The body: the state machine's snapshot bytes. */
    public InputStream openBody() throws IOException {
        FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
        channel.position(bodyOffset);
        return new BufferedInputStream(new BoundedInputStream(Channels.newInputStream(channel), bodyLength), 1 << 16);
    }

    private static int checksum(FileChannel channel, long length) throws IOException {
        CRC32C crc = new CRC32C();
        ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20);
        long position = 0;
        while (position < length) {
            buffer.clear().limit((int) Math.min(buffer.capacity(), length - position));
            int n = channel.read(buffer, position);
            if (n < 0) {
                throw new EOFException("the file ended while being read");
            }
            buffer.flip();
            crc.update(buffer);
            position += n;
        }
        return (int) crc.getValue();
    }

    private static ByteBuffer readAt(FileChannel channel, long position, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, position + buffer.position()) < 0) {
                throw new EOFException("the file ended while being read");
            }
        }
        return buffer.flip();
    }

    private static byte[] encode(BackupHeader header) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeUTF(header.group());
            out.writeUTF(header.clusterId());
            out.writeUTF(header.sourceNode());
            out.writeLong(header.index());
            out.writeLong(header.term());
            out.writeLong(header.createdMillis());
            out.writeInt(header.members().size());
            for (String member : header.members()) {
                out.writeUTF(member);
            }
            out.writeInt(header.details().size());
            for (var detail : header.details().entrySet()) {
                out.writeUTF(detail.getKey());
                out.writeUTF(detail.getValue());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a byte array does not fail
        }
        return bytes.toByteArray();
    }

    private static BackupHeader decode(Path path, byte[] bytes) throws IOException {
        try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(bytes))) {
            String group = in.readUTF();
            String clusterId = in.readUTF();
            String source = in.readUTF();
            long index = in.readLong();
            long term = in.readLong();
            long created = in.readLong();
            int count = in.readInt();
            if (index < 0 || term < 0 || count < 0 || count > MAX_MEMBERS) {
                throw damaged(path, "its header says index " + index + ", term " + term + ", " + count + " members");
            }
            List<String> members = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                members.add(in.readUTF());
            }
            int detailCount = in.readInt();
            if (detailCount < 0 || detailCount > MAX_MEMBERS) {
                throw damaged(path, "its header says it has " + detailCount + " details");
            }
            SortedMap<String, String> details = new TreeMap<>();
            for (int i = 0; i < detailCount; i++) {
                details.put(in.readUTF(), in.readUTF());
            }
            if (in.available() > 0) {
                throw damaged(path, "its header has " + in.available() + " bytes past its last field");
            }
            return new BackupHeader(group, clusterId, source, index, term, created, members, details);
        } catch (EOFException e) {
            throw damaged(path, "its header is cut short");
        }
    }

    private static IOException damaged(Path path, String why) {
        return new IOException("backup " + path + " is damaged: " + why);
    }

    /** Counts the bytes that pass. */
    private static final class CountingOutput extends FilterOutputStream {
        long count;

        CountingOutput(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }
    }
}
