package io.raftkv.kv.server;

/**
 * Who this node is: its Raft id and the address it advertises. The Kv service and the Raft transport share one gRPC
 * port, so this address is where both peers and clients reach the node.
 */
public record NodeIdentity(String id, String address) {
    public NodeIdentity {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("a node needs an id");
        }
        if (address == null) {
            throw new IllegalArgumentException("a node needs an address (empty if unknown)");
        }
    }
}
