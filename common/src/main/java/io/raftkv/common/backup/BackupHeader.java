package io.raftkv.common.backup;

import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What a backup file says about itself: where it was taken (the group, its cluster, the node that streamed it) and
 * which state it holds (everything applied up to {@code index}, of {@code term}), with the group's voters then.
 *
 * @param group the Raft group the state belongs to ("kv", "g100", the controller's group)
 * @param clusterId the id of the cluster it was taken from
 * @param sourceNode the node that captured it
 * @param index the last applied log index the state covers
 * @param term the term of the entry at {@code index}
 * @param createdMillis when it was captured (milliseconds since the epoch)
 * @param members the group's members at {@code index}, as id=address (address empty when unknown)
 * @param details what the state machine says of its state (a sharded store's shard count), sorted by name
 */
public record BackupHeader(String group, String clusterId, String sourceNode, long index, long term,
        long createdMillis, List<String> members, SortedMap<String, String> details) {
    public BackupHeader {
        members = List.copyOf(members);
        details = Collections.unmodifiableSortedMap(new TreeMap<>(details));
    }
}
