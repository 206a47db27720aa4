package io.raftkv.kv.client;

import io.raftkv.common.cli.HostPort;
import io.raftkv.proto.kv.StatusReply;

/**
 * One configured node's answer to a status request: its status, or why it could not be reached.
 *
 * @param address the address the client was configured with (which may differ from the one the node advertises)
 * @param status the node's status, or null when unreachable
 * @param error why the node could not be reached, or null
 */
public record NodeReport(HostPort address, StatusReply status, String error) {
    public boolean reachable() {
        return status != null;
    }
}
