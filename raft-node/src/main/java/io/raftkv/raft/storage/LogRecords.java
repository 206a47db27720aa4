package io.raftkv.raft.storage;

import com.google.protobuf.InvalidProtocolBufferException;
import io.raftkv.proto.raft.Entry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.rocksdb.RocksDBException;
import org.rocksdb.Status;

/**
 * How {@link RocksLogStorage} reads its records back and what it says when they are damaged: every error names the
 * log's directory and what was wrong, so an operator knows which file to look at.
 */
final class LogRecords {
    private final Path dir;

    LogRecords(Path dir) {
        this.dir = dir;
    }


    /** Parses the record stored under {@code index}, checking that it is that entry. */
    Entry entry(long index, byte[] value) throws CorruptStorageException {
        Entry entry;
        try {
            entry = Entry.parseFrom(value);
        } catch (InvalidProtocolBufferException e) {
            throw new CorruptStorageException("raft log " + dir + ": the record of entry " + index
                    + " is unreadable (" + e.getMessage() + ")", e);
        }
        if (entry.getIndex() != index) {
            throw new CorruptStorageException("raft log " + dir + ": the record stored under index " + index
                    + " holds entry " + entry.getIndex());
        }
        return entry;
    }


    /** The index a log key encodes. */
    long index(byte[] key) throws CorruptStorageException {
        if (key.length != 8) {
            throw new CorruptStorageException("raft log " + dir + " has a key of " + key.length + " bytes");
        }
        return IndexKeys.index(key);
    }


    /** An 8-byte number of the metadata; {@code what} names it in the error. */
    long longValue(byte[] value, String what) throws CorruptStorageException {
        if (value.length != 8) {
            throw new CorruptStorageException("raft log " + dir + ": " + what + " has " + value.length
                    + " bytes, not 8");
        }
        return IndexKeys.index(value);
    }


    /** A RocksDB failure as an IOException; a corruption as a {@link CorruptStorageException}. */
    IOException failure(String what, RocksDBException e) {
        Status status = e.getStatus();
        if (status != null && status.getCode() == Status.Code.Corruption) {
            return new CorruptStorageException("raft log database " + dir + " is corrupt (" + what + "): "
                    + e.getMessage(), e);
        }
        return new IOException(what + " raft log database " + dir + ": " + e.getMessage(), e);
    }


    /** The write-ahead log files in {@code dir}, for an error message. */
    static String walFiles(Path dir) {
        try (var files = Files.list(dir)) {
            return String.join(", ", files.filter(p -> p.getFileName().toString().endsWith(".log"))
                    .map(Path::toString).sorted().toList());
        } catch (IOException e) {
            return "unknown: " + e.getMessage();
        }
    }

    /** {@code value}, the stored record of {@code what}; damaged if it is missing. */
    byte[] present(byte[] value, String what) throws CorruptStorageException {
        if (value == null) {
            throw new CorruptStorageException("raft log " + dir + " is missing " + what);
        }
        return value;
    }

    /** The metadata record of {@code what}, parsed; damaged if it is missing or unreadable. */
    <T> T meta(byte[] value, com.google.protobuf.Parser<T> parser, String what) throws CorruptStorageException {
        try {
            return parser.parseFrom(present(value, what));
        } catch (InvalidProtocolBufferException e) {
            throw new CorruptStorageException("raft log " + dir + ": " + what + " is unreadable", e);
        }
    }
}
