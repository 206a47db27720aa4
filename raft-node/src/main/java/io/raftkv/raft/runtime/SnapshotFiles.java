package io.raftkv.raft.runtime;

import io.raftkv.proto.raft.SnapshotMetadata;
import io.raftkv.raft.core.EntryId;
import io.raftkv.raft.storage.SnapshotDirectory;
import io.raftkv.raft.storage.SnapshotFile;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which snapshot files a node keeps, and when each may go (on the {@link CoreDriver}'s thread only): the base file
 * (the snapshot the log starts after, received from a leader), the sendable file (the newest one a leader may ship:
 * captured here, or the base), and files received and stepped into the core but not yet taken up by a Ready. A file
 * is deleted once no role needs it.
 */
final class SnapshotFiles {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotFiles.class);
    private final SnapshotDirectory store;
    private final Map<EntryId, SnapshotFile> staged = new HashMap<>();
    private SnapshotFile base;
    private SnapshotFile sendable;

    SnapshotFiles(SnapshotDirectory store, SnapshotFile base, SnapshotFile sendable) {
        this.store = store;
        this.base = base;
        this.sendable = sendable;
    }

    // ---------------------------------------------------------------- at start-up

    /** The file among {@code files} that holds exactly {@code metadata}, or null. */
    static SnapshotFile find(List<SnapshotFile> files, SnapshotMetadata metadata) {
        EntryId wanted = EntryId.of(metadata);
        for (SnapshotFile f : files) {
            if (EntryId.of(f.metadata()).equals(wanted)) {
                return f;
            }
        }
        return null;
    }

    /**
     * As a node starts: keeps the base file and the newest file a leader may ship (at or after the log's base, at most
     * {@code committed}), deletes the rest (outdated, or received and never taken up), and returns the one to ship.
     */
    static SnapshotFile keepSendable(SnapshotDirectory store, List<SnapshotFile> files, SnapshotMetadata base,
            SnapshotFile baseFile, long committed) {
        SnapshotFile best = baseFile;
        for (SnapshotFile f : files) {
            if (f.index() >= base.getIndex() && f.index() <= committed && (best == null || f.index() > best.index())) {
                best = f;
            }
        }
        for (SnapshotFile f : files) {
            if (f != best && f != baseFile) {
                LOG.info("removing unused snapshot file {}", f.path());
                store.delete(f);
            }
        }
        return best;
    }

    /** The newest kept file that covers the log up to {@code needed} (a compacted prefix), or null. */
    SnapshotFile covering(long needed) {
        SnapshotFile best = null;
        for (SnapshotFile candidate : new SnapshotFile[] {sendable, base}) {
            if (candidate != null && candidate.index() >= needed
                    && (best == null || candidate.index() > best.index())) {
                best = candidate;
            }
        }
        return best;
    }

    /** The kept file holding exactly {@code wanted}, or null if it is gone. */
    SnapshotFile find(SnapshotMetadata wanted) {
        for (SnapshotFile candidate : new SnapshotFile[] {sendable, base}) {
            if (candidate != null && candidate.index() == wanted.getIndex() && candidate.term() == wanted.getTerm()) {
                return candidate;
            }
        }
        return null;
    }

    /** A snapshot captured from the state machine; kept if it is newer than what is sendable and still useful. */
    void captured(SnapshotFile file, long firstNeeded) {
        if (file.index() < firstNeeded || (sendable != null && sendable.index() >= file.index())) {
            discard(file); // already outdated
            return;
        }
        SnapshotFile old = sendable;
        sendable = file;
        if (old != null && old != base) {
            store.delete(old);
        }
    }

    /** A file received from the leader, about to be stepped into the core. */
    void stage(SnapshotMetadata metadata, SnapshotFile file) {
        SnapshotFile previous = staged.put(EntryId.of(metadata), file);
        if (previous != null && !previous.path().equals(file.path())) {
            discard(previous);
        }
    }

    /**
     * A Ready was taken: returns the staged file of the snapshot it installs (null if it installs none), and deletes
     * the staged files the core refused.
     *
     * @throws IllegalStateException if the Ready installs a snapshot whose file never arrived
     */
    SnapshotFile takeStaged(SnapshotMetadata installing) {
        SnapshotFile file = null;
        if (installing != null) {
            file = staged.remove(EntryId.of(installing));
            if (file == null) {
                throw new IllegalStateException("the core installs snapshot " + installing.getIndex() + "/"
                        + installing.getTerm() + " but no file for it was received");
            }
        }
        for (SnapshotFile refused : staged.values()) {
            discard(refused);
        }
        staged.clear();
        return file;
    }

    /** {@code file} is now the snapshot the log starts after. */
    void installed(SnapshotFile file) {
        SnapshotFile oldBase = base;
        base = file;
        if (oldBase != null && oldBase != file && oldBase != sendable) {
            store.delete(oldBase);
        }
        if (sendable == null || sendable.index() <= file.index()) {
            if (sendable != null && sendable != file && sendable != oldBase) {
                store.delete(sendable);
            }
            sendable = file;
        }
    }

    /**
     * The log was compacted so that it starts after {@code needed}: the state machine holds what older files had,
     * durably, so they go, except one still being sent (its index is in {@code sending}).
     */
    void compacted(long needed, Collection<Long> sending) {
        if (base != null && base.index() < needed) {
            if (base != sendable) {
                store.delete(base);
            }
            base = null;
        }
        if (sendable != null && sendable.index() < needed && !sending.contains(sendable.index())) {
            store.delete(sendable);
            sendable = null;
        }
    }

    /** Deletes {@code file} unless it is the base or the sendable file (a file that arrived and is not wanted). */
    void discard(SnapshotFile file) {
        if (file == base || file == sendable) {
            return;
        }
        if ((base != null && base.path().equals(file.path()))
                || (sendable != null && sendable.path().equals(file.path()))) {
            return;
        }
        store.delete(file);
    }
}
