package io.raftkv.kv.state;

import com.google.protobuf.ByteString;
import io.raftkv.proto.kv.KvCommand;
import io.raftkv.proto.kv.KvCommandResult;
import io.raftkv.proto.service.ErrorCode;
import org.rocksdb.RocksDBException;

/**
 * The effect of one client write (put, append, delete) on the data, wherever the key is stored (the unsharded store
 * keeps keys as they are; a replica group prefixes them with their shard). Part of the replicated rules: every node
 * must refuse the same appends.
 */
public final class KvWrites {
    /** The largest value an append may build. A constant rather than a flag, since every replica must agree. */
    public static final int MAX_STORED_VALUE_BYTES = 16 * 1024 * 1024;

    private KvWrites() {}

    /** Executes {@code command} on the data key {@code storedKey} (the command's key as stored). */
    public static KvCommandResult execute(KvCommand command, byte[] storedKey, ApplyContext context)
            throws RocksDBException {
        if (command.getKey().isEmpty()) {
            return result(ErrorCode.INVALID_ARGUMENT, "the key is empty");
        }
        KvDb db = context.db();
        switch (command.getOp()) {
            case PUT -> {
                context.batch().put(db.data, storedKey, command.getValue().toByteArray());
                return result(ErrorCode.OK, "");
            }
            case APPEND -> {
                byte[] old = context.read(db.data, storedKey);
                ByteString suffix = command.getValue();
                long length = (old == null ? 0L : old.length) + suffix.size();
                if (length > MAX_STORED_VALUE_BYTES) {
                    return result(ErrorCode.INVALID_ARGUMENT, "the append would make the value " + length
                            + " bytes; a value may hold at most " + MAX_STORED_VALUE_BYTES);
                }
                byte[] value = new byte[(int) length];
                int prefix = 0;
                if (old != null) {
                    System.arraycopy(old, 0, value, 0, old.length);
                    prefix = old.length;
                }
                suffix.copyTo(value, prefix);
                context.batch().put(db.data, storedKey, value);
                return result(ErrorCode.OK, "");
            }
            case DELETE -> {
                if (context.read(db.data, storedKey) == null) {
                    return result(ErrorCode.NO_KEY, "");
                }
                context.batch().delete(db.data, storedKey);
                return result(ErrorCode.OK, "");
            }
            default -> {
                return result(ErrorCode.INVALID_ARGUMENT, "unknown operation " + command.getOpValue());
            }
        }
    }

    public static KvCommandResult result(ErrorCode code, String message) {
        return KvCommandResult.newBuilder().setCode(code).setMessage(message).build();
    }
}
