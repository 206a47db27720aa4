package io.raftkv.raft.transport;

import io.raftkv.common.cli.HostPort;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** The members of a cluster by id and address, as given on a command line: {@code n1=127.0.0.1:7001,n2=...}. */
public final class PeerAddresses {
    private PeerAddresses() {}

    /**
     * Parses {@code id=host:port} pairs separated by commas.
     *
     * @throws IllegalArgumentException naming the bad pair (empty id, duplicate id, bad address)
     */
    public static Map<String, HostPort> parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("no peers given (expected id=host:port,...)");
        }
        Map<String, HostPort> peers = new LinkedHashMap<>();
        for (String part : text.split(",")) {
            String pair = part.trim();
            int eq = pair.indexOf('=');
            if (eq <= 0 || eq == pair.length() - 1) {
                throw new IllegalArgumentException("'" + pair + "' is not id=host:port");
            }
            String id = pair.substring(0, eq).trim();
            if (id.isEmpty()) {
                throw new IllegalArgumentException("'" + pair + "' has an empty id");
            }
            HostPort address = HostPort.parse(pair.substring(eq + 1));
            if (peers.put(id, address) != null) {
                throw new IllegalArgumentException("peer " + id + " is listed twice");
            }
        }
        return Collections.unmodifiableMap(peers);
    }

    /** The inverse of {@link #parse}. */
    public static String format(Map<String, HostPort> peers) {
        StringBuilder out = new StringBuilder();
        for (Map.Entry<String, HostPort> e : peers.entrySet()) {
            if (!out.isEmpty()) {
                out.append(',');
            }
            out.append(e.getKey()).append('=').append(e.getValue().target());
        }
        return out.toString();
    }
}
