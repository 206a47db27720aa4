package io.raftkv.kv.server.sim;

import com.google.protobuf.Message;

/**
 * What a client gets back for one request on the simulated wire: the server's reply message ({@code GetReply} or
 * {@code WriteReply}), or a transport failure (the server is down, or went down with the request open), as a gRPC
 * call would fail with UNAVAILABLE.
 */
record ClientReply(Message message, String failure, boolean refused) {

    static ClientReply of(Message message) {
        return new ClientReply(message, null, false);
    }

    static ClientReply failed(String why) {
        return new ClientReply(null, why, false);
    }

    /** The server was down when the request arrived: its connection was refused. */
    static ClientReply refused(String why) {
        return new ClientReply(null, why, true);
    }

    boolean isFailure() {
        return failure != null;
    }
}
