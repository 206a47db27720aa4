package io.raftkv.deploy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Checks one key's final value, a sequence of unique append tokens ("c2.17;"), against the appends the clients made:
 * every acknowledged token present exactly once, no token twice, none that no client appended.
 */
final class AppendAudit {
    private AppendAudit() {}

    /** The problems found, each one line naming {@code key}; empty if the value is consistent with the appends. */
    static List<String> audit(String key, String finalValue, Set<String> attempted, Set<String> acknowledged) {
        List<String> problems = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (String token : tokens(finalValue)) {
            if (!seen.add(token)) {
                problems.add(key + ": append " + token + " applied twice");
            }
            if (!attempted.contains(token)) {
                problems.add(key + ": " + token + " was never appended");
            }
        }
        for (String token : acknowledged) {
            if (!seen.contains(token)) {
                problems.add(key + ": acknowledged append " + token + " is missing");
            }
        }
        return problems;
    }

    static List<String> tokens(String value) {
        List<String> tokens = new ArrayList<>();
        for (String piece : value.split(";")) {
            if (!piece.isEmpty()) {
                tokens.add(piece + ";");
            }
        }
        return tokens;
    }
}
