package io.raftkv.common.io;

import java.io.IOException;
import java.io.InputStream;

/** Reads at most a given number of bytes of the underlying stream, then reports its end: one part of a file. */
public final class BoundedInputStream extends InputStream {
    private final InputStream in;
    private long remaining;

    public BoundedInputStream(InputStream in, long remaining) {
        this.in = in;
        this.remaining = remaining;
    }

    @Override
    public int read() throws IOException {
        if (remaining <= 0) {
            return -1;
        }
        int b = in.read();
        if (b >= 0) {
            remaining--;
        }
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (remaining <= 0) {
            return -1;
        }
        int n = in.read(b, off, (int) Math.min(len, remaining));
        if (n > 0) {
            remaining -= n;
        }
        return n;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
