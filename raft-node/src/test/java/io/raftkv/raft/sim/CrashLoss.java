package io.raftkv.raft.sim;

/** What a crash does to the writes a node made since its last fsync. */
public enum CrashLoss {
    /** The process dies; the machine keeps its page cache, so every write survives. */
    NONE,
    /** The machine loses power: everything since the last fsync is gone. */
    UNSYNCED_TAIL,
    /** Power is lost while the cache is being written out: some of the unsynced writes survive, in order. */
    TORN_TAIL
}
