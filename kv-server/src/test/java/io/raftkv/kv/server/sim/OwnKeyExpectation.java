package io.raftkv.kv.server.sim;

import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The values a key written by one client only may hold, as that client sees it: the lab's check that each Get returns
 * exactly what the client's own Put and Appends built, extended to writes whose outcome is unknown.
 *
 * <p>A write the clerk gave up on may still be applied, but only before the client's next write is: that one carries
 * a higher sequence number, and once it is applied the older one is recognized as a duplicate. So after an unknown
 * write the key may hold either value, and a Get can see the write appear, until the next acknowledged write seals
 * it; a Get after that pins the value down again.
 */
final class OwnKeyExpectation {
    /** Beyond this many possible values the expectation gives up (every read is then accepted). */
    private static final int MAX_CANDIDATES = 64;

    private Set<String> candidates; // null: unconstrained
    private boolean unsealed;

    /** Starts unconstrained (the key's value before the client's first Put is not known). */
    OwnKeyExpectation() {
    }

    void onPut(String value, Outcome outcome) {
        Set<String> after = new LinkedHashSet<>();
        after.add(value);
        write(after, outcome);
    }

    void onAppend(String suffix, Outcome outcome) {
        Set<String> after = null;
        if (candidates != null) {
            after = new LinkedHashSet<>();
            for (String c : candidates) {
                after.add(c + suffix);
            }
        }
        write(after, outcome);
    }

    /** Returns why {@code value} cannot be what a Get saw, or null if it can. */
    String onGet(String value) {
        if (candidates != null && !candidates.contains(value)) {
            return "Get returned \"" + value + "\" but the client's own writes allow only " + describe();
        }
        if (!unsealed) {
            candidates = new LinkedHashSet<>();
            candidates.add(value);
        }
        return null;
    }

    /** A write that, if applied, leaves one of {@code after} (null: unconstrained). */
    private void write(Set<String> after, Outcome outcome) {
        switch (outcome.status()) {
            case OK -> {
                candidates = after;
                unsealed = false;
            }
            case UNKNOWN -> {
                if (candidates == null || after == null) {
                    candidates = null;
                } else {
                    Set<String> either = new LinkedHashSet<>(candidates);
                    either.addAll(after);
                    candidates = either.size() > MAX_CANDIDATES ? null : either;
                }
                unsealed = true;
            }
            default -> {
                // Rejected: no effect.
            }
        }
    }

    private String describe() {
        StringBuilder sb = new StringBuilder();
        for (String c : candidates) {
            sb.append(sb.isEmpty() ? "" : " or ").append('"').append(c).append('"');
        }
        return sb.toString();
    }
}
