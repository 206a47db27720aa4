package io.raftkv.common.cli;

import java.security.Security;

/**
 * How a raftkv process looks up host names: afresh each time. Peers are named by host (a container's alias) and a
 * peer that restarts may come back at another address, even one another container had before. The JDK would keep
 * using an address for 30 s and a failed lookup (the peer was down a moment) for 10 s, and gRPC's resolver would not
 * look a name up again within 30 s of its last answer: for that long a node cannot reach the peer, or reaches another
 * one. Raft already limits how often a peer is dialled, and Go's resolver, which etcd uses, caches nothing either.
 */
public final class NameLookups {
    private NameLookups() {}

    /**
     * Turns the JDK's lookup cache and gRPC's off; call before the process's first lookup (the JDK reads its setting
     * once, gRPC as each channel is made).
     */
    public static void uncached() {
        Security.setProperty("networkaddress.cache.ttl", "0");
        Security.setProperty("networkaddress.cache.negative.ttl", "0");
        System.setProperty("networkaddress.cache.ttl", "0"); // gRPC's DNS resolver reads the system property
    }
}
