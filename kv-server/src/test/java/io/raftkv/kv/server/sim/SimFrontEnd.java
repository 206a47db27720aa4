package io.raftkv.kv.server.sim;

import com.google.protobuf.Message;
import java.util.function.Consumer;

/**
 * One incarnation of a node's client-facing service in the simulation (the KV service, the shard controller): it
 * serves requests from the {@link ClientNetwork} over its {@link SimRaftService}, and {@link FrontEnds} starts a new
 * one for each incarnation of its node.
 */
interface SimFrontEnd {
    /** The node's Raft as this front end sees it; {@link FrontEnds} feeds it the node's events. */
    SimRaftService raft();

    /** Serves one client request; {@code respond} gets its reply, or a failure if the node crashes first. */
    void handle(Message request, Consumer<ClientReply> respond);

    /** The node crashed: open calls fail as reset connections and nothing more is answered. */
    void crash();
}
