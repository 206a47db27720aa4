package io.raftkv.mapreduce.io;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/** Writes records in {@link IntermediateFormat}; the caller supplies them in key order. */
public final class IntermediateWriter {
    private final DataOutputStream out;
    private long records;
    private String lastKey;

    public IntermediateWriter(OutputStream out) throws IOException {
        this.out = new DataOutputStream(out);
        this.out.write(IntermediateFormat.MAGIC);
        this.out.writeByte(IntermediateFormat.VERSION);
    }

    public void write(String key, String value) throws IOException {
        if (lastKey != null && lastKey.compareTo(key) > 0) {
            throw new IllegalStateException("intermediate records out of key order: '" + key + "' after '"
                    + lastKey + "'");
        }
        writeString(key);
        writeString(value);
        lastKey = key;
        records++;
    }

    /** Writes the trailer and flushes; the underlying stream stays open. */
    public void finish() throws IOException {
        out.writeInt(IntermediateFormat.END_OF_RECORDS);
        out.writeLong(records);
        out.flush();
    }

    private void writeString(String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        out.writeInt(bytes.length);
        out.write(bytes);
    }
}
