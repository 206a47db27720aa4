package io.raftkv.kv.server.sim;

import java.util.ArrayList;
import java.util.List;

/**
 * What one client knows of its own appends: for each j it appended (token "x client j y"), whether the cluster
 * acknowledged it or its outcome is unknown (the clerk gave up). Rejected appends had no effect and are not counted.
 */
final class ClientAppends {
    private final List<Boolean> acknowledged = new ArrayList<>();

    /** Records the outcome of append number {@link #count()}. */
    void record(Outcome outcome) {
        switch (outcome.status()) {
            case OK -> acknowledged.add(true);
            case UNKNOWN -> acknowledged.add(false);
            default -> throw new IllegalArgumentException("an append cannot end " + outcome.status());
        }
    }

    /** How many appends were made (the next one's j). */
    int count() {
        return acknowledged.size();
    }

    boolean attempted(int j) {
        return j >= 0 && j < acknowledged.size();
    }

    /** The js whose outcome is unknown. */
    List<Integer> unknown() {
        List<Integer> js = new ArrayList<>();
        for (int j = 0; j < acknowledged.size(); j++) {
            if (!acknowledged.get(j)) {
                js.add(j);
            }
        }
        return js;
    }

    /** The js the cluster acknowledged. */
    List<Integer> acknowledged() {
        List<Integer> js = new ArrayList<>();
        for (int j = 0; j < acknowledged.size(); j++) {
            if (acknowledged.get(j)) {
                js.add(j);
            }
        }
        return js;
    }
}
