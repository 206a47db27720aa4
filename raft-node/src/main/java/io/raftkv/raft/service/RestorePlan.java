package io.raftkv.raft.service;

import io.raftkv.common.backup.BackupFile;
import io.raftkv.common.cli.StartupException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@code --restore FILE} asks of a replica process: the backup, checked whole before anything is written, and a
 * data directory that is new (or empty). Once the process's nodes have started from it, a marker file records which
 * backup the directory came from, so a restart with the same command line starts the node as it is rather than
 * refusing it or restoring it again.
 */
final class RestorePlan {
    private static final Logger LOG = LoggerFactory.getLogger(RestorePlan.class);
    static final String MARKER = "restored-from";

    private final BackupFile backup;
    private final Path dataDir;

    private RestorePlan(BackupFile backup, Path dataDir) {
        this.backup = backup;
        this.dataDir = dataDir;
    }

    /**
     * Checks {@code file} and {@code dataDir} (absolute; it may not exist yet); returns null when the directory was
     * already restored from this backup.
     *
     * @throws StartupException (exit 2) if the backup is damaged or the directory holds other data; nothing is written
     */
    static RestorePlan prepare(Path file, Path dataDir) {
        BackupFile backup;
        try {
            backup = BackupFile.verify(file);
        } catch (IOException e) {
            throw new StartupException("cannot restore: " + e.getMessage());
        }
        if (isEmpty(dataDir)) {
            LOG.info("restoring a new node from {}: group {}, index {}, term {}, taken from cluster {}", file,
                    backup.header().group(), backup.header().index(), backup.header().term(),
                    backup.header().clusterId());
            return new RestorePlan(backup, dataDir);
        }
        if (backup.checksumHex().equals(marker(dataDir))) {
            LOG.info("{} was restored from {} before: starting it as it is", dataDir, file);
            return null;
        }
        throw new StartupException("cannot restore into --data-dir " + dataDir + ": it already holds data (--restore"
                + " starts a new node, in a new or empty directory)");
    }

    BackupFile backup() {
        return backup;
    }

    /** @throws StartupException (exit 2) if the backup is of another group than the node to restore */
    void checkGroup(String group) {
        if (!backup.header().group().equals(group)) {
            throw new StartupException("cannot restore: the backup " + backup.path() + " holds group '"
                    + backup.header().group() + "', and this node runs group '" + group + "'");
        }
    }

    /** Records, once every node started from the backup, that the directory holds it. */
    void done() throws IOException {
        Path temp = dataDir.resolve(MARKER + ".tmp");
        Files.writeString(temp, backup.checksumHex() + "\n", StandardCharsets.UTF_8);
        Files.move(temp, dataDir.resolve(MARKER), StandardCopyOption.ATOMIC_MOVE,
                StandardCopyOption.REPLACE_EXISTING);
    }

    private static boolean isEmpty(Path dir) {
        if (!Files.isDirectory(dir)) {
            return true;
        }
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.findAny().isEmpty();
        } catch (IOException e) {
            throw new StartupException("cannot read --data-dir " + dir + ": " + e.getMessage());
        }
    }

    private static String marker(Path dir) {
        try {
            return Files.readString(dir.resolve(MARKER), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            return "";
        }
    }
}
