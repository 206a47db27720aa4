package io.raftkv.kv.shardctrler;

import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;

/**
 * An independent computation of the fewest shards that must change owner for a Join or Leave, by brute force: the
 * tests hold {@link Rebalancer} to it.
 */
public final class MinimumMoves {
    private MinimumMoves() {}

    /**
     * The fewest owner changes from {@code before} to any balanced assignment over {@code groups}: a group can keep
     * at most min(held, target) shards, and the targets are floor(N/G) plus one for some N mod G groups; try every
     * such choice of groups.
     */
    public static int of(long[] before, SortedSet<Long> groups) {
        int shards = before.length;
        if (groups.isEmpty()) {
            int moved = 0;
            for (long gid : before) {
                moved += gid == 0 ? 0 : 1;
            }
            return moved;
        }
        List<Long> ids = new ArrayList<>(groups);
        int[] held = new int[ids.size()];
        for (long gid : before) {
            int at = ids.indexOf(gid);
            if (at >= 0) {
                held[at]++;
            }
        }
        int floor = shards / ids.size();
        int larger = shards % ids.size();
        int bestKept = -1;
        for (int mask = 0; mask < (1 << ids.size()); mask++) {
            if (Integer.bitCount(mask) != larger) {
                continue;
            }
            int kept = 0;
            for (int g = 0; g < ids.size(); g++) {
                kept += Math.min(held[g], floor + ((mask >> g) & 1));
            }
            bestKept = Math.max(bestKept, kept);
        }
        return shards - bestKept;
    }
}
