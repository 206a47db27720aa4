package io.raftkv.mapreduce.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32C;

/**
 * The length and CRC32C of a map output file, recorded beside it ({@code mr-X-Y.crc}) right after the map task wrote
 * it. A worker serves the pair with the file, and the reduce that fetches it checks both, so a file that was cut or
 * had a bit flipped on the serving disk (or on the way) is never reduced.
 */
public record PartitionChecksum(long length, int crc32c) {

    /** Reads {@code file} whole and computes its length and checksum. */
    public static PartitionChecksum of(Path file) throws IOException {
        CRC32C crc = new CRC32C();
        long length = 0;
        byte[] buffer = new byte[64 * 1024];
        try (InputStream in = Files.newInputStream(file)) {
            for (int read; (read = in.read(buffer)) > 0; ) {
                crc.update(buffer, 0, read);
                length += read;
            }
        }
        return new PartitionChecksum(length, (int) crc.getValue());
    }

    /** Where the checksum of {@code file} is kept. */
    public static Path fileBeside(Path file) {
        return file.resolveSibling(file.getFileName() + ".crc");
    }

    /** Records this checksum beside {@code file} (atomically; not forced to disk, like the file itself). */
    public void writeBeside(Path file) throws IOException {
        byte[] text = (length + " " + Integer.toHexString(crc32c) + "\n").getBytes(StandardCharsets.US_ASCII);
        AtomicFiles.writeWithoutSync(fileBeside(file), out -> out.write(text));
    }

    /** The checksum recorded beside {@code file}; an IOException if it is missing or unreadable. */
    public static PartitionChecksum readBeside(Path file) throws IOException {
        Path sum = fileBeside(file);
        String text = Files.readString(sum, StandardCharsets.US_ASCII).strip();
        String[] fields = text.split(" ");
        try {
            if (fields.length == 2) {
                return new PartitionChecksum(Long.parseLong(fields[0]), Integer.parseUnsignedInt(fields[1], 16));
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IOException(sum + " is not a checksum record: '" + text + "'");
    }

    /** A running checksum of bytes as they arrive, to compare with a recorded one. */
    public static final class Running {
        private final CRC32C crc = new CRC32C();
        private long length;

        public void update(java.nio.ByteBuffer bytes) {
            length += bytes.remaining();
            crc.update(bytes);
        }

        public PartitionChecksum value() {
            return new PartitionChecksum(length, (int) crc.getValue());
        }
    }
}
