package io.raftkv.kv.state;

import java.io.IOException;
import org.rocksdb.RocksDBException;

/**
 * What the log's commands mean over a {@link KvDb}: the unsharded store's rules or a sharded replica group's.
 * {@link KvStateMachine} owns the storage around them (RocksDB generations, the applied index and log clock,
 * checkpoints, snapshot restore); the rules own the commands and the in-memory state that mirrors the database
 * (session tables, shard states).
 */
public interface KvRules {
    /**
     * What state these rules keep, as a short name ({@code kv}, {@code shard-group}, {@code shard-controller}):
     * recorded when a directory is created and checked when it is opened or a snapshot is installed, so that a node
     * never applies its commands to another service's state.
     */
    String kind();

    /**
     * The in-memory part of the state stored in {@code db}, read after it was opened or restored. Nothing changes
     * until the machine {@linkplain Memory#installed() installs} it: a restore that fails later leaves the old state.
     */
    Memory load(KvDb db) throws IOException;

    /** The in-memory state matching one database; used only on the apply thread unless said otherwise. */
    interface Memory {
        /** Applies one non-empty log entry into {@code context}'s batch and returns the reply for its proposer. */
        byte[] apply(byte[] entry, ApplyContext context) throws RocksDBException;

        /** The batch holding the last applied entries was written (publish what readers see). */
        default void written(KvDb db) throws RocksDBException {}

        /** This memory (and its database) became the machine's current state. */
        default void installed() {}

        /** How many client sessions it holds, for the metrics (any thread). */
        int sessionCount();

        /** What a backup of this state says of it besides its index (a sharded store's shard count), by name. */
        default java.util.Map<String, String> describe() {
            return java.util.Map.of();
        }
    }
}
