package io.raftkv.kv.client.bench;

/**
 * The system under load, reduced to the two operations a benchmark sends. Implementations are called by many
 * client threads at once; each call blocks its (virtual) thread until the system answered or the operation's
 * deadline passed.
 */
public interface BenchTarget extends AutoCloseable {

    /** The system's name in reports: {@code raftkv} or {@code etcd}. */
    String system();

    /** The addresses the load goes to, as given. */
    String endpoints();

    /** Sets {@code key} to {@code value}; throws when the write did not complete. */
    void put(byte[] key, byte[] value);

    /** Reads {@code key} linearizably; returns whether it exists; throws when the read did not complete. */
    boolean get(byte[] key);

    /** A short, stable name for a failure of {@link #put} or {@link #get}, to count errors by kind. */
    String errorKind(Throwable failure);

    @Override
    void close();
}
