package io.raftkv.kv.server.process;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads values out of a Prometheus text exposition (what a node serves at /metrics). */
final class PrometheusText {
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*})? (\\S+)$");

    private PrometheusText() {}

    /** The sum of every sample named {@code name} (over all label sets); 0 if there is none. */
    static double sum(String text, String name) {
        double total = 0;
        for (String line : text.split("\n")) {
            Matcher m = SAMPLE.matcher(line);
            if (m.matches() && m.group(1).equals(name)) {
                total += Double.parseDouble(m.group(3));
            }
        }
        return total;
    }

    /** The sum of the samples named {@code name} whose labels contain {@code label} (e.g. {@code op="put"}). */
    static double sum(String text, String name, String label) {
        double total = 0;
        for (String line : text.split("\n")) {
            Matcher m = SAMPLE.matcher(line);
            if (m.matches() && m.group(1).equals(name) && m.group(2) != null && m.group(2).contains(label)) {
                total += Double.parseDouble(m.group(3));
            }
        }
        return total;
    }

    /** Whether a metric family is exposed: a TYPE line, or samples named after it. */
    static boolean hasFamily(String text, String family) {
        for (String line : text.split("\n")) {
            if (line.startsWith("# TYPE " + family + " ")) {
                return true;
            }
            Matcher m = SAMPLE.matcher(line);
            if (m.matches() && (m.group(1).equals(family) || m.group(1).startsWith(family + "_"))) {
                return true;
            }
        }
        return false;
    }
}
