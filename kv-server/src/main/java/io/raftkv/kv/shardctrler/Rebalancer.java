package io.raftkv.kv.shardctrler;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;

/**
 * The assignment of shards to groups after a Join or Leave: balanced (every group holds {@code floor(N/G)} or
 * {@code ceil(N/G)} shards; with more groups than shards the extra ones hold none) and with the fewest shards changing
 * owner that any balanced assignment allows.
 *
 * <p>Why it is minimal: a group keeps at most {@code min(held, target)} of its shards, so the moves are at least
 * {@code N - sum(min(held, target))}. The {@code N mod G} larger targets go to the groups holding the most shards
 * (where a larger target lets a group keep one more), which maximizes that sum; every group then keeps exactly
 * {@code min(held, target)} shards and only the rest move.
 *
 * <p>It is a pure function of its inputs: groups are walked in ascending id order, ties broken by id, and which of a
 * group's shards it gives up (its highest-numbered) and which a group receives (the lowest-numbered free ones) are
 * fixed by shard number. Every replica computes the same bytes; no map order, clock or randomness is involved.
 */
public final class Rebalancer {
    private Rebalancer() {}

    /**
     * The balanced assignment closest to {@code previous} (shard -> gid, 0 for none) over {@code groups}; with no
     * groups, every shard goes to 0.
     */
    public static long[] rebalance(long[] previous, SortedSet<Long> groups) {
        int shards = previous.length;
        long[] next = previous.clone();
        if (groups.isEmpty()) {
            Arrays.fill(next, 0);
            return next;
        }
        Map<Long, Deque<Integer>> held = new TreeMap<>();
        for (long gid : groups) {
            held.put(gid, new ArrayDeque<>());
        }
        List<Integer> free = new ArrayList<>();
        for (int shard = 0; shard < shards; shard++) {
            Deque<Integer> owner = held.get(previous[shard]);
            if (owner == null) {
                free.add(shard); // on group 0 or on a group that left
            } else {
                owner.addLast(shard);
            }
        }
        Map<Long, Integer> target = targets(held, shards);
        for (Map.Entry<Long, Deque<Integer>> group : held.entrySet()) {
            Deque<Integer> own = group.getValue();
            while (own.size() > target.get(group.getKey())) {
                free.add(own.removeLast());
            }
        }
        free.sort(Comparator.naturalOrder());
        int nextFree = 0;
        for (Map.Entry<Long, Deque<Integer>> group : held.entrySet()) {
            int wanted = target.get(group.getKey()) - group.getValue().size();
            for (int i = 0; i < wanted; i++) {
                next[free.get(nextFree++)] = group.getKey();
            }
        }
        return next;
    }

    /** How many shards have a different owner in {@code after} than in {@code before}. */
    public static int ownerChanges(long[] before, long[] after) {
        int changes = 0;
        for (int shard = 0; shard < before.length; shard++) {
            if (before[shard] != after[shard]) {
                changes++;
            }
        }
        return changes;
    }

    /** Each group's share: the {@code N mod G} groups holding the most shards (then the lowest ids) get one more. */
    private static Map<Long, Integer> targets(Map<Long, Deque<Integer>> held, int shards) {
        int groups = held.size();
        int base = shards / groups;
        int larger = shards % groups;
        List<Long> byLoad = new ArrayList<>(held.keySet());
        byLoad.sort(Comparator.<Long>comparingInt(gid -> held.get(gid).size()).reversed()
                .thenComparing(Comparator.naturalOrder()));
        Map<Long, Integer> target = new TreeMap<>();
        for (int i = 0; i < byLoad.size(); i++) {
            target.put(byLoad.get(i), base + (i < larger ? 1 : 0));
        }
        return target;
    }
}
