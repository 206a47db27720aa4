package io.raftkv.mapreduce.io;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** Reads an intermediate file record by record, checking the header, key order and trailer. */
public final class IntermediateReader implements AutoCloseable {
    private static final int BUFFER_BYTES = 64 * 1024;

    private final Path file;
    private final DataInputStream in;
    private long records;
    private String key;
    private String value;
    private boolean finished;

    public IntermediateReader(Path file) throws IOException {
        this.file = file;
        this.in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), BUFFER_BYTES));
        try {
            byte[] magic = in.readNBytes(IntermediateFormat.MAGIC.length);
            if (!Arrays.equals(magic, IntermediateFormat.MAGIC)) {
                throw new IOException(file + " is not an intermediate file (bad header)");
            }
            int version = in.readUnsignedByte();
            if (version != IntermediateFormat.VERSION) {
                throw new IOException(file + " has intermediate format version " + version + ", expected "
                        + IntermediateFormat.VERSION);
            }
        } catch (IOException e) {
            in.close();
            throw e instanceof EOFException ? new IOException(file + " is truncated", e) : e;
        }
    }

    /** Moves to the next record; false at the end of the file. */
    public boolean next() throws IOException {
        if (finished) {
            return false;
        }
        try {
            int keyLength = in.readInt();
            if (keyLength == IntermediateFormat.END_OF_RECORDS) {
                long expected = in.readLong();
                if (expected != records) {
                    throw new IOException(file + " holds " + records + " records but its trailer says " + expected);
                }
                finished = true;
                key = null;
                value = null;
                return false;
            }
            String nextKey = readString(keyLength);
            String nextValue = readString(in.readInt());
            if (key != null && key.compareTo(nextKey) > 0) {
                throw new IOException(file + " is not sorted by key ('" + nextKey + "' after '" + key + "')");
            }
            key = nextKey;
            value = nextValue;
            records++;
            return true;
        } catch (EOFException e) {
            throw new IOException(file + " is truncated after " + records + " records", e);
        }
    }

    public String key() {
        return key;
    }

    public String value() {
        return value;
    }

    private String readString(int length) throws IOException {
        if (length < 0) {
            throw new IOException(file + " has a negative string length " + length);
        }
        byte[] bytes = in.readNBytes(length);
        if (bytes.length < length) {
            throw new EOFException();
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
