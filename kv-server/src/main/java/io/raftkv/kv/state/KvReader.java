package io.raftkv.kv.state;

/** Reads of the local state machine, safe from any thread (the service calls it after a read barrier). */
public interface KvReader {

    /** The value of {@code key}, or null if the key does not exist. */
    byte[] get(byte[] key);
}
