package io.raftkv.kv.client.bench;

import java.time.Duration;
import java.util.Locale;
import java.util.SortedMap;
import java.util.stream.Collectors;

/**
 * What a benchmark run measured, as text for people and as one JSON line for scripts.
 *
 * @param preload the preload phase, or null when the workload needs none
 * @param warmup the warmup phase, or null when there was none
 */
public record BenchReport(String system, String endpoints, BenchSettings settings, PhaseResult preload,
        PhaseResult warmup, PhaseResult measured) {

    /** The percentiles every report shows, as fractions and as their names. */
    private static final double[] PERCENTILES = {0.50, 0.99, 0.999};
    private static final String[] PERCENTILE_NAMES = {"p50", "p99", "p999"};

    /** The human-readable report, several lines ending in a newline. */
    public String text() {
        StringBuilder out = new StringBuilder();
        out.append(String.format(Locale.ROOT, "%s workload on %s (%s)%n", settings.workload().label(), system,
                endpoints));
        out.append(String.format(Locale.ROOT, "  %-11s %s, %,d-byte values, %s, warmup %s, limit %s%s%n", "settings",
                Benchmark.plural(settings.clients(), "client"), settings.valueSize(),
                Benchmark.plural(settings.keys(), "key"), duration(settings.warmup()),
                duration(settings.duration()),
                settings.maxOps() == 0 ? "" : String.format(Locale.ROOT, " or %,d ops", settings.maxOps())));
        if (preload != null) {
            out.append(String.format(Locale.ROOT, "  %-11s %,d keys written in %.2f s%n", "preload",
                    preload.succeeded(), preload.seconds()));
        }
        if (warmup != null) {
            out.append(String.format(Locale.ROOT, "  %-11s %,d ops in %.2f s%n", "warmup", warmup.succeeded(),
                    warmup.seconds()));
        }
        out.append(String.format(Locale.ROOT, "  %-11s %,d ops ok, %,d failed, in %.2f s (ended by the %s)%n",
                "measured", measured.succeeded(), measured.failed(), measured.seconds(),
                measured.stoppedBy() == PhaseResult.Stop.TIME ? "time limit" : "operation limit"));
        out.append(String.format(Locale.ROOT, "  %-11s %,.1f ops/s%n", "throughput", measured.throughput()));
        out.append(latencyLine("latency", measured.all()));
        if (settings.workload() == Workload.MIXED) {
            out.append(latencyLine("  puts", measured.puts()));
            out.append(latencyLine("  gets", measured.gets()));
        }
        out.append(String.format(Locale.ROOT, "  %-11s %s%n", "errors",
                measured.errors().isEmpty() ? "none" : errorList(measured.errors())));
        return out.toString();
    }

    private static String latencyLine(String label, LatencyHistogram latencies) {
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  %-11s", label));
        if (latencies.count() == 0) {
            return line.append(" no successful operation\n").toString();
        }
        for (int i = 0; i < PERCENTILES.length; i++) {
            line.append(String.format(Locale.ROOT, " %s %s ms ", PERCENTILE_NAMES[i],
                    millis(latencies.percentile(PERCENTILES[i]))));
        }
        line.append(String.format(Locale.ROOT, " max %s ms  mean %s ms%n", millis(latencies.max()),
                millis(Math.round(latencies.mean()))));
        return line.toString();
    }

    /** The whole report as one line of JSON (no newline), with stable field names for scripts. */
    public String json() {
        Json json = new Json();
        json.field("system", system).field("endpoints", endpoints).field("workload", settings.workload().label())
                .field("clients", settings.clients()).field("valueSize", settings.valueSize())
                .field("keys", settings.keys()).field("seed", settings.seed())
                .field("durationLimitSeconds", seconds(settings.duration()))
                .field("opsLimit", settings.maxOps()).field("warmupSeconds", seconds(settings.warmup()))
                .field("preloadSeconds", preload == null ? 0 : round(preload.seconds(), 3))
                .field("seconds", round(measured.seconds(), 3))
                .field("stoppedBy", measured.stoppedBy() == PhaseResult.Stop.TIME ? "time" : "count")
                .field("ok", measured.succeeded()).field("puts", measured.puts().count())
                .field("gets", measured.gets().count()).field("errors", measured.failed());
        json.object("errorsByKind");
        measured.errors().forEach(json::field);
        json.end();
        json.field("opsPerSecond", round(measured.throughput(), 1));
        latencyJson(json, "latencyMs", measured.all());
        latencyJson(json, "putLatencyMs", measured.puts());
        latencyJson(json, "getLatencyMs", measured.gets());
        return json.close();
    }

    /** Percentiles in milliseconds, or null when no operation of that kind succeeded. */
    private static void latencyJson(Json json, String name, LatencyHistogram latencies) {
        if (latencies.count() == 0) {
            json.nullField(name);
            return;
        }
        json.object(name);
        for (int i = 0; i < PERCENTILES.length; i++) {
            json.field(PERCENTILE_NAMES[i], milliValue(latencies.percentile(PERCENTILES[i])));
        }
        json.field("max", milliValue(latencies.max())).field("mean", milliValue(Math.round(latencies.mean())));
        json.end();
    }

    static String errorList(SortedMap<String, Long> errors) {
        return errors.entrySet().stream().map(e -> String.format(Locale.ROOT, "%s %,d", e.getKey(), e.getValue()))
                .collect(Collectors.joining(", "));
    }

    /** A duration as people write it on the command line: 500ms, 30s, 2m. */
    public static String duration(Duration value) {
        long millis = value.toMillis();
        if (millis == 0) {
            return "0s";
        }
        if (millis % 60_000 == 0) {
            return millis / 60_000 + "m";
        }
        return millis % 1000 == 0 ? millis / 1000 + "s" : millis + "ms";
    }

    /** Nanoseconds as milliseconds with three significant figures or more (0.412, 5.12, 25.1, 312). */
    static String millis(long nanos) {
        double ms = nanos / 1e6;
        String pattern = ms < 1 ? "%.3f" : ms < 10 ? "%.2f" : ms < 100 ? "%.1f" : "%.0f";
        return String.format(Locale.ROOT, pattern, ms);
    }

    private static double milliValue(long nanos) {
        return round(nanos / 1e6, 3);
    }

    private static double seconds(Duration value) {
        return value.toMillis() / 1000.0;
    }

    private static double round(double value, int decimals) {
        double scale = Math.pow(10, decimals);
        return Math.round(value * scale) / scale;
    }

    /** Just enough JSON writing for flat objects of strings and numbers with nested objects. */
    private static final class Json {
        private final StringBuilder out = new StringBuilder("{");
        private boolean first = true;

        Json field(String name, String value) {
            return name(name).string(value);
        }

        Json field(String name, long value) {
            name(name).out.append(value);
            return this;
        }

        Json field(String name, double value) {
            name(name).out.append(Double.isFinite(value) ? Double.toString(value) : "null");
            return this;
        }

        Json nullField(String name) {
            name(name).out.append("null");
            return this;
        }

        Json object(String name) {
            name(name).out.append('{');
            first = true;
            return this;
        }

        Json end() {
            out.append('}');
            first = false;
            return this;
        }

        String close() {
            return out.append('}').toString();
        }

        private Json name(String name) {
            if (!first) {
                out.append(',');
            }
            first = false;
            return string(name).colon();
        }

        private Json colon() {
            out.append(':');
            return this;
        }

        private Json string(String value) {
            out.append('"');
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                switch (c) {
                    case '"' -> out.append("\\\"");
                    case '\\' -> out.append("\\\\");
                    case '\n' -> out.append("\\n");
                    case '\r' -> out.append("\\r");
                    case '\t' -> out.append("\\t");
                    default -> {
                        if (c < 0x20) {
                            out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                        } else {
                            out.append(c);
                        }
                    }
                }
            }
            out.append('"');
            return this;
        }
    }
}
