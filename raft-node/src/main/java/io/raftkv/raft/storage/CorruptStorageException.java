package io.raftkv.raft.storage;

import java.io.IOException;

/**
 * Stored Raft state is damaged (a bad checksum, a half-written file, an unreadable or out-of-place log record). The
 * message names the file or database and what is wrong. A node never starts over such damage by silently dropping
 * data: it could lose committed entries. The operator decides (restore the file, or wipe the node so that it catches
 * up from the leader).
 */
public final class CorruptStorageException extends IOException {
    public CorruptStorageException(String message) {
        super(message);
    }

    public CorruptStorageException(String message, Throwable cause) {
        super(message, cause);
    }
}
