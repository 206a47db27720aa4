package io.raftkv.mapreduce.io;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Reads the whole lines of one input split: the byte range {@code [offset, offset + length)} of a file, widened to
 * line boundaries so that every line of the file belongs to exactly one split.
 *
 * <p>The rule: a split owns the lines that <em>start</em> inside its range. So a split that does not start at byte 0
 * looks at the byte before its start and skips up to and including the first newline from there (a line that starts
 * exactly at the split's start is kept, since the previous byte is that newline); and it reads past its end to
 * finish the last line it started. A line longer than a split starts in one split only, so later splits it covers
 * read nothing. Lines end at {@code '\n'}: a {@code "\r\n"} cut in the middle still ends at its {@code '\n'}, and
 * since {@code '\n'} never occurs inside a multi-byte UTF-8 sequence, a split never cuts a character in two.
 */
public final class SplitReader {
    private static final int SCAN_BYTES = 64 * 1024;

    private SplitReader() {}

    /**
     * The bytes of the lines the split owns.
     *
     * @param length the split's length; 0 with offset 0 means the whole file (what a coordinator without splits
     *               sends, and the single split of an empty file)
     */
    public static byte[] read(Path file, long offset, long length) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            Range range = lineRange(channel, offset, length);
            return readRange(channel, file, range.begin(), range.end());
        }
    }

    /** Bytes {@code [begin, end)} of a file: the whole lines a split owns. */
    public record Range(long begin, long end) {
        public long length() {
            return end - begin;
        }
    }

    /** The byte range of the lines the split owns (empty when no line starts inside it), without reading them. */
    public static Range lineRange(FileChannel channel, long offset, long length) throws IOException {
        if (offset < 0 || length < 0) {
            throw new IllegalArgumentException("a split needs a non-negative offset and length, got offset "
                    + offset + " and length " + length);
        }
        long size = channel.size();
        if (offset == 0 && length == 0) {
            return new Range(0, size);
        }
        long end = Math.min(size, offset + length);
        long begin = offset == 0 ? 0 : afterNewline(channel, offset - 1, size);
        if (begin >= end) {
            // No line starts inside the range: it lies within a line an earlier split owns.
            return new Range(begin, begin);
        }
        return new Range(begin, afterNewline(channel, end - 1, size));
    }

    /** The position just after the first {@code '\n'} at or after {@code from}, or the file size if none. */
    private static long afterNewline(FileChannel channel, long from, long size) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(SCAN_BYTES);
        long position = from;
        while (position < size) {
            buffer.clear();
            int read = channel.read(buffer, position);
            if (read <= 0) {
                break;
            }
            for (int i = 0; i < read; i++) {
                if (buffer.get(i) == '\n') {
                    return position + i + 1;
                }
            }
            position += read;
        }
        return size;
    }

    private static byte[] readRange(FileChannel channel, Path file, long from, long to) throws IOException {
        long count = to - from;
        if (count > Integer.MAX_VALUE - 8) {
            throw new IOException("the split of " + file + " at byte " + from + " holds " + count
                    + " bytes, more than one map task can hold in memory; use a smaller split size");
        }
        ByteBuffer buffer = ByteBuffer.allocate((int) count);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, from + buffer.position()) < 0) {
                throw new EOFException(file + " shrank while its split at byte " + from + " was being read");
            }
        }
        return buffer.array();
    }
}
