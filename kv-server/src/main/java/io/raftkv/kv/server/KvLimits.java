package io.raftkv.kv.server;

import com.google.protobuf.ByteString;
import io.raftkv.kv.state.KvStateMachine;

/** Request size limits, checked before anything is proposed; a violation is answered INVALID_ARGUMENT. */
public record KvLimits(int maxKeyBytes, int maxValueBytes) {
    /** 4 KiB keys, 1 MiB values. */
    public static final KvLimits DEFAULT = new KvLimits(4 * 1024, 1024 * 1024);

    public KvLimits {
        if (maxKeyBytes < 1) {
            throw new IllegalArgumentException("the key limit must be at least 1 byte, not " + maxKeyBytes);
        }
        if (maxValueBytes < 0 || maxValueBytes > KvStateMachine.MAX_STORED_VALUE_BYTES) {
            throw new IllegalArgumentException("the value limit must be between 0 and "
                    + KvStateMachine.MAX_STORED_VALUE_BYTES + " bytes, not " + maxValueBytes);
        }
    }

    /** Why {@code key} is not acceptable, or null if it is. */
    String checkKey(ByteString key) {
        if (key.isEmpty()) {
            return "the key is empty";
        }
        if (key.size() > maxKeyBytes) {
            return "the key is " + key.size() + " bytes; the limit is " + maxKeyBytes;
        }
        return null;
    }

    /** Why {@code value} is not acceptable, or null if it is. */
    String checkValue(ByteString value) {
        if (value.size() > maxValueBytes) {
            return "the value is " + value.size() + " bytes; the limit is " + maxValueBytes;
        }
        return null;
    }
}
