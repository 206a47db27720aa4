package io.raftkv.kv.state;

import java.io.IOException;
import java.nio.ByteBuffer;

/** Fixed-width big-endian encodings of the numbers the state keeps in RocksDB. */
public final class Codec {
    private Codec() {}

    public static byte[] encodeLong(long value) {
        return ByteBuffer.allocate(Long.BYTES).putLong(value).array();
    }

    /** Decodes 8 bytes; {@code what} names the value in the error when the bytes are not 8. */
    public static long decodeLong(byte[] bytes, String what) throws IOException {
        if (bytes == null || bytes.length != Long.BYTES) {
            throw new IOException(what + " is corrupt: " + (bytes == null ? "missing" : bytes.length + " bytes")
                    + " where 8 belong");
        }
        return ByteBuffer.wrap(bytes).getLong();
    }
}
