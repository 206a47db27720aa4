package io.raftkv.common.faults;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A slow, lossy network between Raft peers, made in the sender: what a process's Raft transport sends to its peers is
 * delayed (with jitter), lost, duplicated or reordered, or not delivered at all (a one-way partition: the node hears
 * its peers, they do not hear it). Client traffic is untouched. Raft must tolerate all of these; a test makes them
 * with {@code RAFTKV_PEER_FAULTS_FILE=<file>} in a process's environment. The file holds one line of settings, as
 * {@link Spec#parse} reads them, and is read again whenever it changes, so a test turns faults on and off while the
 * process runs; a missing or empty file is a clean network. Unset, the transport never consults this class.
 *
 * <p>Why not the kernel's netem: it needs the sch_netem qdisc, which the kernels of many CI machines and VMs do not
 * have; messages are also what Raft sees, so dropping, duplicating and reordering them tests exactly its handling.
 */
public final class NetworkFaults {
    private static final Logger LOG = LoggerFactory.getLogger(NetworkFaults.class);
    /** How often the file is looked at, at most. */
    private static final long CHECK_NANOS = 100_000_000L;
    /** The faults of this process, or null if it was not started with {@code RAFTKV_PEER_FAULTS_FILE}. */
    public static final NetworkFaults PROCESS = fromEnvironment();

    private final Path file;
    private volatile Spec spec = Spec.CLEAN;
    private volatile long nextCheckNanos;
    private volatile FileTime seenModified;
    private volatile long seenSize = -1;

    public NetworkFaults(Path file) {
        this.file = file;
    }

    private static NetworkFaults fromEnvironment() {
        String path = System.getenv("RAFTKV_PEER_FAULTS_FILE");
        return path == null || path.isBlank() ? null : new NetworkFaults(Path.of(path.strip()));
    }

    /**
     * The faults of a network: {@code delay=75ms jitter=50ms loss=20% duplicate=5% reorder=25% one-way}, each
     * optional. Reorder as netem means it: that share of messages skips the delay, so it overtakes the others.
     */
    public record Spec(long delayNanos, long jitterNanos, double loss, double duplicate, double reorder,
            boolean oneWay) {
        public static final Spec CLEAN = new Spec(0, 0, 0, 0, 0, false);

        /** @throws IllegalArgumentException naming the setting that is wrong */
        public static Spec parse(String text) {
            long delay = 0;
            long jitter = 0;
            double loss = 0;
            double duplicate = 0;
            double reorder = 0;
            boolean oneWay = false;
            for (String setting : text.strip().split("\\s+")) {
                if (setting.isEmpty()) {
                    continue;
                }
                if (setting.equals("one-way")) {
                    oneWay = true;
                    continue;
                }
                int eq = setting.indexOf('=');
                if (eq < 0) {
                    throw new IllegalArgumentException("network fault '" + setting + "' is not name=value or one-way");
                }
                String name = setting.substring(0, eq);
                String value = setting.substring(eq + 1);
                switch (name) {
                    case "delay" -> delay = millis(name, value) * 1_000_000L;
                    case "jitter" -> jitter = millis(name, value) * 1_000_000L;
                    case "loss" -> loss = percent(name, value);
                    case "duplicate" -> duplicate = percent(name, value);
                    case "reorder" -> reorder = percent(name, value);
                    default -> throw new IllegalArgumentException("unknown network fault '" + name
                            + "' (delay, jitter, loss, duplicate, reorder, one-way)");
                }
            }
            if (jitter > delay) {
                throw new IllegalArgumentException("network fault jitter (" + jitter / 1_000_000 + "ms) is larger than"
                        + " the delay (" + delay / 1_000_000 + "ms)");
            }
            return new Spec(delay, jitter, loss, duplicate, reorder, oneWay);
        }

        public boolean clean() {
            return equals(CLEAN);
        }

        private static long millis(String name, String value) {
            if (!value.endsWith("ms")) {
                throw new IllegalArgumentException("network fault " + name + "=" + value + " needs milliseconds, as"
                        + " " + name + "=50ms");
            }
            try {
                long ms = Long.parseLong(value.substring(0, value.length() - 2));
                if (ms < 0 || ms > 60_000) {
                    throw new NumberFormatException();
                }
                return ms;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("network fault " + name + "=" + value + " is not 0 to 60000 ms");
            }
        }

        private static double percent(String name, String value) {
            try {
                double p = Double.parseDouble(value.endsWith("%") ? value.substring(0, value.length() - 1) : "x");
                if (p < 0 || p > 100) {
                    throw new NumberFormatException();
                }
                return p / 100;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("network fault " + name + "=" + value + " is not a percentage"
                        + " from 0% to 100%");
            }
        }

        @Override
        public String toString() {
            if (clean()) {
                return "none";
            }
            return String.format(Locale.ROOT, "delay=%dms jitter=%dms loss=%.0f%% duplicate=%.0f%% reorder=%.0f%%%s",
                    delayNanos / 1_000_000, jitterNanos / 1_000_000, loss * 100, duplicate * 100, reorder * 100,
                    oneWay ? " one-way" : "");
        }
    }

    /** The faults in force now (the file is looked at again if it may have changed). */
    public Spec current() {
        long now = System.nanoTime();
        if (now - nextCheckNanos >= 0) {
            nextCheckNanos = now + CHECK_NANOS;
            reload();
        }
        return spec;
    }

    /**
     * What happens to one message under {@code spec}: the delay of each copy delivered, in nanoseconds (none: lost;
     * two: duplicated).
     */
    public static long[] fate(Spec spec) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        if (spec.oneWay() || (spec.loss() > 0 && random.nextDouble() < spec.loss())) {
            return new long[0];
        }
        long first = delay(spec, random);
        if (spec.duplicate() > 0 && random.nextDouble() < spec.duplicate()) {
            return new long[] {first, delay(spec, random)};
        }
        return new long[] {first};
    }

    private static long delay(Spec spec, ThreadLocalRandom random) {
        if (spec.delayNanos() == 0 || (spec.reorder() > 0 && random.nextDouble() < spec.reorder())) {
            return 0;
        }
        long jitter = spec.jitterNanos() == 0 ? 0 : random.nextLong(-spec.jitterNanos(), spec.jitterNanos() + 1);
        return spec.delayNanos() + jitter;
    }

    private synchronized void reload() {
        FileTime modified;
        long size;
        try {
            modified = Files.getLastModifiedTime(file);
            size = Files.size(file);
        } catch (IOException e) {
            modified = null;
            size = -1;
        }
        if (size == seenSize && (modified == null ? seenModified == null : modified.equals(seenModified))) {
            return;
        }
        seenModified = modified;
        seenSize = size;
        Spec next;
        try {
            next = size <= 0 ? Spec.CLEAN : Spec.parse(Files.readString(file));
        } catch (IOException e) {
            next = Spec.CLEAN; // deleted meanwhile
        } catch (IllegalArgumentException e) {
            LOG.warn("{}: {}; keeping {}", file, e.getMessage(), spec);
            return;
        }
        if (!next.equals(spec)) {
            LOG.info("peer network faults now: {}", next);
            spec = next;
        }
    }
}
