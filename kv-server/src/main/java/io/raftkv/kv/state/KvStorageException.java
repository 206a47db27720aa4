package io.raftkv.kv.state;

/** RocksDB failed under the KV state (a full disk, a damaged file): the node cannot go on applying or reading. */
public final class KvStorageException extends RuntimeException {
    public KvStorageException(String message, Throwable cause) {
        super(message, cause);
    }
}
