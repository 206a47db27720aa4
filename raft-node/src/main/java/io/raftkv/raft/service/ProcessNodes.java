package io.raftkv.raft.service;

import io.raftkv.raft.runtime.RaftNode;
import java.util.List;

/** The nodes of a replica process, one per group, as the process-wide APIs (members, backups) find them. */
record ProcessNodes(List<RaftNode> nodes) {

    /** The replica of {@code group} (empty: the process's first), or null. */
    RaftNode find(String group) {
        for (RaftNode node : nodes) {
            if (group.isEmpty() || node.group().equals(group)) {
                return node;
            }
        }
        return null;
    }

    /** What a request for a group the process does not run is told. */
    static String noGroup(String group) {
        return "this process runs no replica of group '" + group + "'";
    }
}
