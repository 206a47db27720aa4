package io.raftkv.mapreduce.apps;

import io.raftkv.mapreduce.app.KeyValue;
import io.raftkv.mapreduce.app.MapReduceApp;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;

/**
 * Test apps {@code crash} and {@code nocrash}. Both output, per job, the keys {@code a} (input names), {@code b}
 * (their lengths), {@code c} (content lengths, in bytes) and {@code d}. The crashing variant makes a third of its
 * calls kill the worker process on the spot and another third stall for up to 10 seconds, so a job only finishes if
 * the coordinator re-assigns lost work; its output must equal that of {@code nocrash}.
 */
public final class Crash implements MapReduceApp {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final boolean crashes;

    private Crash(boolean crashes) {
        this.crashes = crashes;
    }

    public static Crash crashing() {
        return new Crash(true);
    }

    public static Crash reliable() {
        return new Crash(false);
    }

    @Override
    public List<KeyValue> map(String filename, String contents) {
        maybeCrash();
        return List.of(
                new KeyValue("a", filename),
                new KeyValue("b", Integer.toString(filename.getBytes(StandardCharsets.UTF_8).length)),
                new KeyValue("c", Integer.toString(contents.getBytes(StandardCharsets.UTF_8).length)),
                new KeyValue("d", "xyzzy"));
    }

    @Override
    public String reduce(String key, List<String> values) {
        maybeCrash();
        List<String> sorted = new ArrayList<>(values);
        sorted.sort(null);
        return String.join(" ", sorted);
    }

    private void maybeCrash() {
        if (!crashes) {
            return;
        }
        int roll = RANDOM.nextInt(1_000);
        if (roll < 330) {
            // Halt, not exit: no shutdown hooks, no flushing, as close to a crash as a JVM gets by itself.
            Runtime.getRuntime().halt(1);
        } else if (roll < 660) {
            Sleep.millis(RANDOM.nextInt(10_000));
        }
    }
}
