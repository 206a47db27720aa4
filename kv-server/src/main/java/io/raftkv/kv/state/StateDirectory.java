package io.raftkv.kv.state;

import io.raftkv.common.io.FileTrees;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The layout of a KV state directory, and the one atomic step of replacing the state:
 *
 * <pre>
 *   ACTIVE              names the live state directory, e.g. "state-00000003" (replaced by an atomic rename)
 *   state-00000003/     the live RocksDB database
 *   incoming-00000004/  a snapshot being unpacked (garbage after a crash)
 *   checkpoints/        RocksDB checkpoints captured for snapshots, streamed and then deleted
 * </pre>
 *
 * Whatever ACTIVE names is the state; every other {@code state-*} or {@code incoming-*} directory is left over from
 * an interrupted restore and is deleted at open. A crash at any moment therefore leaves either the old or the new
 * state, and the next open finds the right one.
 */
final class StateDirectory {
    private static final Logger LOG = LoggerFactory.getLogger(StateDirectory.class);
    static final String ACTIVE = "ACTIVE";
    private static final Pattern STATE_NAME = Pattern.compile("state-(\\d{8})");
    private static final String INCOMING_PREFIX = "incoming-";

    private final Path root;

    StateDirectory(Path root) {
        this.root = root;
    }

    Path root() {
        return root;
    }

    Path checkpoints() {
        return root.resolve("checkpoints");
    }

    Path stateDir(long generation) {
        return root.resolve(String.format("state-%08d", generation));
    }

    Path incomingDir(long generation) {
        return root.resolve(String.format(INCOMING_PREFIX + "%08d", generation));
    }

    /**
     * The generation ACTIVE names, or -1 if there is no ACTIVE file (a new directory).
     *
     * @throws IOException naming the file when ACTIVE is unreadable or names something that is not there
     */
    long activeGeneration() throws IOException {
        Path active = root.resolve(ACTIVE);
        String text;
        try {
            text = Files.readString(active, StandardCharsets.UTF_8).strip();
        } catch (NoSuchFileException e) {
            return -1;
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IOException(active + " is corrupt: it does not name a state directory", e);
        }
        Matcher matcher = STATE_NAME.matcher(text);
        if (!matcher.matches()) {
            throw new IOException(active + " is corrupt: it holds '" + abbreviate(text)
                    + "' where a state directory name such as state-00000001 belongs");
        }
        long generation = Long.parseLong(matcher.group(1));
        if (!Files.isDirectory(stateDir(generation))) {
            throw new IOException(active + " names " + stateDir(generation) + ", which does not exist");
        }
        return generation;
    }

    /** Whether the directory holds any state directory (to tell a new directory from one that lost ACTIVE). */
    boolean hasStateDirectories() throws IOException {
        if (!Files.isDirectory(root)) {
            return false;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(root)) {
            for (Path entry : entries) {
                if (STATE_NAME.matcher(entry.getFileName().toString()).matches()) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Points ACTIVE at {@code generation}: write a temporary file, fsync it, rename it over ACTIVE, fsync the dir. */
    void activate(long generation) throws IOException {
        Path temporary = root.resolve(ACTIVE + ".tmp");
        try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            channel.write(java.nio.ByteBuffer.wrap(
                    (stateDir(generation).getFileName() + "\n").getBytes(StandardCharsets.UTF_8)));
            channel.force(true);
        }
        try {
            Files.move(temporary, root.resolve(ACTIVE), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the file system of " + root + " cannot rename atomically", e);
        }
        fsyncDirectory(root);
    }

    /** Deletes what an interrupted restore left behind: every state or incoming directory but the active one. */
    void removeLeftovers(long activeGeneration) throws IOException {
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(root)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                Matcher matcher = STATE_NAME.matcher(name);
                boolean staleState = matcher.matches() && Long.parseLong(matcher.group(1)) != activeGeneration;
                if (staleState || name.startsWith(INCOMING_PREFIX) || name.equals(ACTIVE + ".tmp")) {
                    FileTrees.deleteRecursively(entry);
                }
            }
        }
        FileTrees.deleteRecursively(checkpoints());
    }

    /** The highest generation present on disk (so a new one never reuses a leftover's number). */
    long highestGeneration() throws IOException {
        long highest = 0;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(root)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                Matcher matcher = STATE_NAME.matcher(name);
                if (matcher.matches()) {
                    highest = Math.max(highest, Long.parseLong(matcher.group(1)));
                } else if (name.startsWith(INCOMING_PREFIX)) {
                    try {
                        highest = Math.max(highest, Long.parseLong(name.substring(INCOMING_PREFIX.length())));
                    } catch (NumberFormatException ignored) {
                        // Not ours; leave it be.
                    }
                }
            }
        }
        return highest;
    }

    static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    /** {@link FileTrees#deleteRecursively} for cleanup that may fail harmlessly (the next open deletes leftovers). */
    static void deleteQuietly(Path path) {
        try {
            FileTrees.deleteRecursively(path);
        } catch (IOException | UncheckedIOException e) {
            LOG.warn("cannot delete {} (it will be deleted at the next start): {}", path, e.toString());
        }
    }

    private static String abbreviate(String text) {
        String printable = text.replaceAll("[^\\x20-\\x7e]", "?");
        return printable.length() > 40 ? printable.substring(0, 40) + "..." : printable;
    }
}
