package io.raftkv.testkit;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The unique tokens clients appended to each key (each followed by {@link #SEPARATOR} in the value), by outcome:
 * acknowledged ones must be in the final value exactly once, unknown ones (timed out, cut off) at most once, and
 * nothing else may be there. Thread-safe: client threads record, the test checks at the end.
 */
public final class AppendLedger {
    public static final char SEPARATOR = ';';

    private final Map<String, Set<String>> acknowledged = new ConcurrentHashMap<>();
    private final Map<String, Set<String>> unknown = new ConcurrentHashMap<>();

    public void acknowledged(String key, String token) {
        acknowledged.computeIfAbsent(key, k -> ConcurrentHashMap.newKeySet()).add(token);
    }

    public void unknown(String key, String token) {
        unknown.computeIfAbsent(key, k -> ConcurrentHashMap.newKeySet()).add(token);
    }

    public int acknowledgedCount() {
        return acknowledged.values().stream().mapToInt(Set::size).sum();
    }

    public int unknownCount() {
        return unknown.values().stream().mapToInt(Set::size).sum();
    }

    /** Every problem with {@code finalValue} of {@code key} (empty if none); a null value counts as empty. */
    public List<String> problems(String key, String finalValue) {
        Map<String, Integer> seen = new HashMap<>();
        if (finalValue != null && !finalValue.isEmpty()) {
            for (String token : finalValue.split(String.valueOf(SEPARATOR))) {
                seen.merge(token, 1, Integer::sum);
            }
        }
        Set<String> acked = acknowledged.getOrDefault(key, Set.of());
        Set<String> maybe = unknown.getOrDefault(key, Set.of());
        List<String> problems = new ArrayList<>();
        for (String token : acked) {
            int n = seen.getOrDefault(token, 0);
            if (n != 1) {
                problems.add(key + ": acknowledged append " + token + " is present " + n + " times");
            }
        }
        for (Map.Entry<String, Integer> e : seen.entrySet()) {
            if (!acked.contains(e.getKey()) && !maybe.contains(e.getKey())) {
                problems.add(key + ": " + e.getKey() + " was never appended");
            } else if (maybe.contains(e.getKey()) && e.getValue() > 1) {
                problems.add(key + ": timed-out append " + e.getKey() + " is present " + e.getValue() + " times");
            }
        }
        return problems;
    }
}
