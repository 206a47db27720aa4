package io.raftkv.common.faults;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Named points in the persistence paths where a test may make the process die, as a power cut there would
 * (etcd's gofail points). A point fires only in a process started with {@code RAFTKV_FAILPOINT=<name>} in its
 * environment (or the system property {@code raftkv.failpoint}); with {@code RAFTKV_FAILPOINT_WHEN=<file>} it fires
 * only once that file exists, so a test can let a node start and take its role first. Firing halts the JVM at once
 * ({@link Runtime#halt}: no shutdown hook, no flush) with exit status {@link #HALT_STATUS}. Unarmed, a point costs one
 * comparison with a constant null.
 */
public final class Failpoints {
    /** The exit status of a process a failpoint halted. */
    public static final int HALT_STATUS = 113;

    /** Before the Raft log's WriteBatch (entries, hard state, a snapshot's base) is written. */
    public static final String RAFT_LOG_BEFORE_WRITE = "raft-log-before-write";
    /** After the Raft log's WriteBatch is written (and fsynced, when it must be), before anyone learns of it. */
    public static final String RAFT_LOG_AFTER_WRITE = "raft-log-after-write";
    /** After a Ready is durable, before the messages that depend on it (votes, append acknowledgements) are sent. */
    public static final String RAFT_BEFORE_SEND_AFTER_PERSIST = "raft-before-send-after-persist";
    /** A received snapshot became the log's base; the state machine has not restored it yet. */
    public static final String RAFT_SNAPSHOT_BEFORE_RESTORE = "raft-snapshot-before-restore";
    /** A snapshot file is written and fsynced under its temporary name, not yet renamed into place. */
    public static final String SNAPSHOT_BEFORE_RENAME = "snapshot-before-rename";
    /** The state machine built a batch of applied commands and has not written it. */
    public static final String KV_APPLY_BEFORE_WRITE = "kv-apply-before-write";
    /**
     * A shard group wrote a batch holding a chunk of a shard it pulls (on every replica). The last chunk marks the
     * shard served in that same batch, so there is no point between the two.
     */
    public static final String SHARD_CHUNK_WRITTEN = "shard-chunk-written";
    /**
     * A shard's old owner applies the committed delete of a shard its new owner has (on every replica); the batch
     * that deletes it is not written yet.
     */
    public static final String SHARD_DELETE_BEFORE_WRITE = "shard-delete-before-write";
    /** A MapReduce file (a map output, a fetched partition, a reduce output) is written whole, not yet renamed. */
    public static final String MR_OUTPUT_BEFORE_RENAME = "mr-output-before-rename";
    /**
     * Not a halt: a replica answering a pull of a shard flips one bit of every chunk it serves, after computing the
     * chunk's checksum, as a bad disk, memory or network card would.
     */
    public static final String SHARD_CHUNK_FLIP_BIT = "shard-chunk-flip-bit";

    /** Every point, for tests that walk them. */
    public static final List<String> ALL = List.of(RAFT_LOG_BEFORE_WRITE, RAFT_LOG_AFTER_WRITE,
            RAFT_BEFORE_SEND_AFTER_PERSIST, RAFT_SNAPSHOT_BEFORE_RESTORE, SNAPSHOT_BEFORE_RENAME,
            KV_APPLY_BEFORE_WRITE, SHARD_CHUNK_WRITTEN, SHARD_DELETE_BEFORE_WRITE, MR_OUTPUT_BEFORE_RENAME,
            SHARD_CHUNK_FLIP_BIT);

    private static final String ARMED = setting("raftkv.failpoint", "RAFTKV_FAILPOINT");
    private static final Path TRIGGER = triggerFile();

    private Failpoints() {}

    /** Halts the process here if this point is the armed one (and its trigger file, if any, exists). */
    public static void hit(String point) {
        if (!firing(point)) {
            return;
        }
        System.err.println("failpoint " + point + ": halting");
        System.err.flush();
        Runtime.getRuntime().halt(HALT_STATUS);
    }

    /**
     * For a point that damages data instead of halting: whether this point is the armed one (and its trigger file,
     * if any, exists). The caller does the damage and says so on its log.
     */
    public static boolean firing(String point) {
        return ARMED != null && ARMED.equals(point) && (TRIGGER == null || Files.exists(TRIGGER));
    }

    private static String setting(String property, String variable) {
        String value = System.getProperty(property);
        if (value == null || value.isBlank()) {
            value = System.getenv(variable);
        }
        return value == null || value.isBlank() ? null : value.strip();
    }

    private static Path triggerFile() {
        String when = setting("raftkv.failpoint.when", "RAFTKV_FAILPOINT_WHEN");
        return when == null ? null : Path.of(when);
    }
}
