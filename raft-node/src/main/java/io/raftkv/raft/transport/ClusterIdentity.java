package io.raftkv.raft.transport;

import io.raftkv.common.cli.HostPort;
import io.raftkv.raft.storage.ClusterIdFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which cluster a group's node belongs to: every batch and snapshot its transport sends carries the id, and what
 * arrives with another id is refused. Without it, a node restored from a backup, or given a wrong address, could take
 * part in a group of another cluster with the same group and node names (etcd's cluster-id check). Empty until known:
 * a node that joins a running group learns it from the first batch a peer sends it.
 */
public final class ClusterIdentity {
    private final AtomicReference<String> id;
    private static final Logger LOG = LoggerFactory.getLogger(ClusterIdentity.class);

    private volatile Consumer<String> onLearned = learned -> { };

    public ClusterIdentity(String id) {
        this.id = new AtomicReference<>(id == null ? "" : id);
    }

    /**
     * The id of a new cluster: a digest of the group and its first members with their addresses, so every member
     * started with the same peers computes the same id without talking to the others, and another cluster (other
     * addresses) gets another.
     */
    public static String derive(String group, Map<String, HostPort> members) {
        return digest(group, members, "");
    }

    /**
     * The id of a cluster restored from a backup: as {@link #derive}, and the backup's checksum, so a restored cluster
     * never shares an id with the cluster the backup came from, even on the same addresses.
     */
    public static String deriveRestored(String group, Map<String, HostPort> members, String backupChecksum) {
        return digest(group, members, "restored from " + backupChecksum + "\n");
    }

    private static String digest(String group, Map<String, HostPort> members, String origin) {
        StringBuilder text = new StringBuilder(group).append('\n').append(origin);
        new TreeMap<>(members).forEach((id, address) -> text.append(id).append('=').append(address.target())
                .append('\n'));
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.toString()
                    .getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    public String id() {
        return id.get();
    }

    /**
     * Takes the id {@code file} records or, if it records none, {@code derivedIfNew} (recorded, unless empty: a node
     * that joins); an id learned later from a peer is recorded there too. Call before the transport starts.
     */
    public void useFile(ClusterIdFile file, String derivedIfNew) throws IOException {
        String known = file.read();
        if (known.isEmpty() && !derivedIfNew.isEmpty()) {
            known = derivedIfNew;
            file.write(known);
        }
        id.set(known);
        onLearned = learned -> {
            try {
                file.write(learned); // once in a node's life: on the transport thread that learned it
                LOG.info("joined cluster {}", learned);
            } catch (IOException e) {
                LOG.error("cannot record the cluster id {} ({}); it is learned again after a restart", learned,
                        e.toString());
            }
        };
    }

    /**
     * Whether traffic stamped {@code theirs} may reach this node: the same cluster, or a sender that stamps none (a
     * node of a version before cluster ids). A node without an id takes the first one it is sent.
     */
    boolean admits(String theirs) {
        if (theirs.isEmpty()) {
            return true;
        }
        if (id.compareAndSet("", theirs)) {
            onLearned.accept(theirs);
            return true;
        }
        return id.get().equals(theirs);
    }
}
