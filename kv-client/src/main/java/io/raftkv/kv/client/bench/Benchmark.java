package io.raftkv.kv.client.bench;

import java.io.PrintStream;
import java.util.Locale;

/**
 * One benchmark run against one target: a probe (is anyone there?), then for read and mixed workloads a preload
 * that writes every key once, a warmup, and the measured phase.
 */
public final class Benchmark {
    private final BenchTarget target;
    private final BenchSettings settings;
    private final PrintStream progress;

    /** @param progress where a line per phase goes while the run is under way (stderr for the CLI) */
    public Benchmark(BenchTarget target, BenchSettings settings, PrintStream progress) {
        this.target = target;
        this.settings = settings;
        this.progress = progress;
    }

    /** A run that could not start or could not prepare its data; nothing was measured. */
    public static final class AbortedException extends RuntimeException {
        AbortedException(String message) {
            super(message);
        }
    }

    public BenchReport run() {
        KeySpace keys = new KeySpace(settings.keyPrefix(), settings.keys());
        LoadRunner runner = new LoadRunner(target, keys, settings.valueSize(), settings.seed(),
                settings.operationTimeout());
        probe(keys);

        PhaseResult preload = null;
        if (settings.workload().needsPreload()) {
            say("writing %,d keys of %,d bytes before the run", keys.size(), settings.valueSize());
            preload = runner.run("preload", Plan.writeEveryKeyOnce(keys), settings.clients(), keys.size(),
                    settings.preloadTimeout());
            if (preload.succeeded() < keys.size()) {
                throw new AbortedException(String.format(Locale.ROOT,
                        "the preload wrote %,d of %,d keys within %s%s", preload.succeeded(), keys.size(),
                        BenchReport.duration(settings.preloadTimeout()), preload.errors().isEmpty() ? ""
                                : " (errors: " + BenchReport.errorList(preload.errors()) + ")"));
            }
        }

        PhaseResult warmup = null;
        Plan load = Plan.random(settings.workload(), keys);
        if (!settings.warmup().isZero()) {
            say("warming up for %s", BenchReport.duration(settings.warmup()));
            warmup = runner.run("warmup", load, settings.clients(), Long.MAX_VALUE, settings.warmup());
        }

        say("measuring for %s%s", BenchReport.duration(settings.duration()),
                settings.maxOps() == 0 ? "" : String.format(Locale.ROOT, " or %,d operations",
                        settings.maxOps()));
        PhaseResult measured = runner.run("load", load, settings.clients(), settings.operationLimit(),
                settings.duration());
        return new BenchReport(target.system(), target.endpoints(), settings, preload, warmup, measured);
    }

    /** One read, so that an unreachable target fails in one operation timeout with the target's own reason. */
    private void probe(KeySpace keys) {
        try {
            target.get(keys.key(0));
        } catch (RuntimeException e) {
            throw new AbortedException("cannot reach " + target.system() + " at " + target.endpoints() + ": "
                    + firstLine(e.getMessage() == null ? target.errorKind(e) : e.getMessage()));
        }
    }

    private void say(String format, Object... args) {
        progress.printf(Locale.ROOT, "kv bench: %s %s on %s: %s%n", settings.workload().label(),
                plural(settings.clients(), "client"), target.system(), String.format(Locale.ROOT, format, args));
        progress.flush();
    }

    static String plural(long count, String noun) {
        return String.format(Locale.ROOT, "%,d %s%s", count, noun, count == 1 ? "" : "s");
    }

    private static String firstLine(String text) {
        int newline = text.indexOf('\n');
        return newline < 0 ? text : text.substring(0, newline);
    }
}
