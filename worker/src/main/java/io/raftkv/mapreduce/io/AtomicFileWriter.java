package io.raftkv.mapreduce.io;

import io.raftkv.common.faults.Failpoints;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A file that readers see either not at all or whole: bytes go to a hidden temp file in the target's directory, and
 * {@link #commit} (optionally forcing them to disk first) renames it over the target. {@link #abort}, or a process
 * that dies half way, leaves no partial target. Used where the content arrives piece by piece (a stream from the
 * network); {@link AtomicFiles} wraps it for content written in one go.
 */
public final class AtomicFileWriter implements AutoCloseable {
    private static final int BUFFER_BYTES = 64 * 1024;

    private final Path target;
    private final Path temp;
    private final FileChannel channel;
    private final OutputStream out;
    private long bytes;
    private boolean finished;

    public AtomicFileWriter(Path target) throws IOException {
        this.target = target;
        Path dir = target.toAbsolutePath().getParent();
        this.temp = dir.resolve("." + target.getFileName() + "." + randomSuffix() + ".tmp");
        this.channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        this.out = new BufferedOutputStream(Channels.newOutputStream(channel), BUFFER_BYTES);
    }

    /** The stream to write the content to; do not close it (commit or abort does). */
    public OutputStream stream() {
        return out;
    }

    public void write(byte[] data) throws IOException {
        out.write(data);
        bytes += data.length;
    }

    /** Bytes written through {@link #write} (not through {@link #stream}). */
    public long bytes() {
        return bytes;
    }

    /** Renames the temp file over the target; with {@code sync}, forces it to disk first (survives a machine crash). */
    public void commit(boolean sync) throws IOException {
        try {
            out.flush();
            if (sync) {
                channel.force(true);
            }
            out.close();
            Failpoints.hit(Failpoints.MR_OUTPUT_BEFORE_RENAME);
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            finished = true;
        } catch (IOException | RuntimeException e) {
            abort();
            throw e;
        }
    }

    /** Drops what was written; the target is left as it was. Safe to call more than once. */
    public void abort() {
        if (finished) {
            return;
        }
        finished = true;
        try {
            out.close();
        } catch (IOException ignored) {
            // The temp file is deleted anyway.
        }
        try {
            Files.deleteIfExists(temp);
        } catch (IOException ignored) {
            // A hidden .tmp file left behind is removed with the job's files.
        }
    }

    /** Aborts unless committed, so try-with-resources never leaves a temp file behind. */
    @Override
    public void close() {
        abort();
    }

    private static String randomSuffix() {
        return HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
    }
}
