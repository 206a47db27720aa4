package io.raftkv.deploy;

import io.raftkv.common.client.ClientOptions;
import io.raftkv.kv.client.KvClient;

/** A cluster a chaos run loads and faults: the plain KV cluster or the sharded one. */
interface ChaosTarget extends AutoCloseable {
    /** A new client of the whole store, through the published ports; the caller closes it. */
    KvClient client(ClientOptions options);

    /** The last lines each container logged, for a failure report. */
    String recentLogs(int lines);

    @Override
    void close();
}
