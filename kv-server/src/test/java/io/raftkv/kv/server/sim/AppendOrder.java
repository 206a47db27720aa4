package io.raftkv.kv.server.sim;

import io.raftkv.testkit.linearizability.KvModel;
import io.raftkv.testkit.linearizability.Operation;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Linearizability of a history of concurrent appends to one key that a single read ends: the read's value must order
 * the appends consistently with real time (an append that returned before another was invoked comes first).
 *
 * <p>This is what the general checker would decide for such a history, but the general search cannot prune before
 * the final read, so it explodes with a few dozen overlapping appends; this check is quadratic. (Which appends must
 * or may be present, and that none is there twice, is {@link AppendTokens#check}'s part.)
 */
final class AppendOrder {
    private AppendOrder() {}

    /**
     * Returns what is wrong with {@code value}, the last value of {@code key}, given the appends to it in
     * {@code history}; null if nothing is.
     */
    static String check(List<Operation<KvModel.Input, KvModel.Output>> history, String key, String value) {
        Map<AppendTokens.Token, Operation<KvModel.Input, KvModel.Output>> byToken = new HashMap<>();
        for (Operation<KvModel.Input, KvModel.Output> op : history) {
            if (op.input().op() == KvModel.Op.APPEND && op.input().key().equals(key)) {
                List<AppendTokens.Token> token = AppendTokens.parse(op.input().value());
                if (token == null || token.size() != 1) {
                    throw new IllegalArgumentException("not an append of one token: " + op.input());
                }
                byToken.put(token.get(0), op);
            }
        }
        List<AppendTokens.Token> order = AppendTokens.parse(value);
        if (order == null) {
            return "the value of " + key + " is not made of append tokens: \"" + value + "\"";
        }
        for (int i = 0; i < order.size(); i++) {
            Operation<KvModel.Input, KvModel.Output> earlier = byToken.get(order.get(i));
            for (int k = i + 1; k < order.size(); k++) {
                Operation<KvModel.Input, KvModel.Output> later = byToken.get(order.get(k));
                if (earlier != null && later != null && later.returnTime() < earlier.callTime()) {
                    return "not linearizable: \"" + later.input().value() + "\" returned (at "
                            + later.returnTime() + ") before \"" + earlier.input().value() + "\" was invoked (at "
                            + earlier.callTime() + "), yet comes after it in the value of " + key;
                }
            }
        }
        return null;
    }
}
