package io.raftkv.kv.server.sim;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The lab's append pattern: client {@code c}'s {@code j}-th append adds the token {@code "x c j y"}, so a value built
 * by appends says exactly which appends were applied, how often and in what order.
 */
final class AppendTokens {
    private static final Pattern TOKEN = Pattern.compile("x (\\d+) (\\d+) y");

    private AppendTokens() {}

    static String token(int client, int j) {
        return "x " + client + " " + j + " y";
    }

    /** One token of a value. */
    record Token(int client, int j) {}

    /** The tokens {@code value} is made of, in order; null if it is not a concatenation of tokens. */
    static List<Token> parse(String value) {
        List<Token> tokens = new ArrayList<>();
        Matcher m = TOKEN.matcher(value);
        int at = 0;
        while (at < value.length()) {
            if (!m.find(at) || m.start() != at) {
                return null;
            }
            tokens.add(new Token(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))));
            at = m.end();
        }
        return tokens;
    }

    /**
     * Checks a value built by appends against what each client knows of its own appends (the lab's
     * checkClntAppends / checkConcurrentAppends, with outcomes that may be unknown): every acknowledged append is
     * present exactly once, an append whose outcome is unknown at most once, each client's appends are in the order it
     * made them, and nothing else is there. Returns what is wrong, or null.
     *
     * @param appends per client, the status of each of its appends, by j
     */
    static String check(String value, Map<Integer, ClientAppends> appends) {
        List<Token> tokens = parse(value);
        if (tokens == null) {
            return "the value is not made of append tokens: \"" + value + "\"";
        }
        Map<Integer, List<Integer>> byClient = new TreeMap<>();
        for (Token t : tokens) {
            ClientAppends known = appends.get(t.client());
            if (known == null || !known.attempted(t.j())) {
                return "element \"" + token(t.client(), t.j()) + "\" was never appended, yet is in \"" + value + "\"";
            }
            byClient.computeIfAbsent(t.client(), c -> new ArrayList<>()).add(t.j());
        }
        for (Map.Entry<Integer, ClientAppends> entry : appends.entrySet()) {
            int client = entry.getKey();
            List<Integer> seen = byClient.getOrDefault(client, List.of());
            Set<Integer> present = new HashSet<>();
            int last = -1;
            for (int j : seen) {
                if (!present.add(j)) {
                    return "duplicate element \"" + token(client, j) + "\" in \"" + value + "\"";
                }
                if (j < last) {
                    return "wrong order for element \"" + token(client, j) + "\" in \"" + value + "\"";
                }
                last = j;
            }
            for (int j : entry.getValue().acknowledged()) {
                if (!present.contains(j)) {
                    return "missing acknowledged element \"" + token(client, j) + "\" in \"" + value + "\"";
                }
            }
        }
        return null;
    }

    /** A token that occurs twice in {@code value} (an append applied twice), or null. */
    static String duplicateIn(String value) {
        Set<Token> seen = new HashSet<>();
        Matcher m = TOKEN.matcher(value);
        while (m.find()) {
            Token t = new Token(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
            if (!seen.add(t)) {
                return token(t.client(), t.j());
            }
        }
        return null;
    }
}
