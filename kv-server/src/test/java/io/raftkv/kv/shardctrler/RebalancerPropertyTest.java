package io.raftkv.kv.shardctrler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.proto.shardctrler.Config;
import io.raftkv.proto.shardctrler.JoinRequest;
import io.raftkv.proto.shardctrler.LeaveRequest;
import io.raftkv.proto.shardctrler.MoveRequest;
import io.raftkv.proto.shardctrler.ReplicaGroup;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Thousands of random Join/Leave/Move sequences through {@link ConfigChanges}: after every Join and Leave the shards
 * are balanced, every shard is on a present group, and the number of shards that changed owner equals the minimum
 * that any balanced assignment allows, computed independently by trying every choice of which groups get the larger
 * share. The same sequence always makes the same bytes.
 */
class RebalancerPropertyTest {
    private static final int SEQUENCES = 3_000;
    private static final int STEPS = 25;
    private static final long MAX_GID = 8; // keeps the brute force over subsets small (at most C(8,4) = 70)
    private static final int[] SHARD_COUNTS = {1, 3, 10, 17};

    @Test
    void everyJoinAndLeaveIsBalancedAndMovesTheFewestShards() {
        long changesChecked = 0;
        long shardsMoved = 0;
        for (int sequence = 0; sequence < SEQUENCES; sequence++) {
            List<Config> run = run(sequence);
            List<Config> again = run(sequence);
            for (int i = 0; i < run.size(); i++) {
                assertArrayEquals(run.get(i).toByteArray(), again.get(i).toByteArray(),
                        "sequence " + sequence + " made different bytes the second time at configuration " + i);
            }
            for (int i = 1; i < run.size(); i++) {
                Config before = run.get(i - 1);
                Config after = run.get(i);
                assertEquals(before.getNum() + 1, after.getNum());
                assertOnPresentGroups(after, "sequence " + sequence + ", configuration " + i);
                boolean groupsChanged = !groupIds(before).equals(groupIds(after));
                if (!groupsChanged) {
                    // a Move: exactly one shard may differ
                    assertTrue(Rebalancer.ownerChanges(ConfigChanges.shardsOf(before),
                            ConfigChanges.shardsOf(after)) <= 1, "a Move changed more than one shard");
                    continue;
                }
                assertBalanced(after, "sequence " + sequence + ", configuration " + i);
                int moved = Rebalancer.ownerChanges(ConfigChanges.shardsOf(before), ConfigChanges.shardsOf(after));
                int minimum = MinimumMoves.of(ConfigChanges.shardsOf(before), groupIds(after));
                assertEquals(minimum, moved, "sequence " + sequence + ": configuration " + i + " moved " + moved
                        + " shards where " + minimum + " suffice\nbefore: " + before.getShardsList()
                        + "\nafter:  " + after.getShardsList());
                changesChecked++;
                shardsMoved += moved;
            }
        }
        assertTrue(changesChecked > SEQUENCES * 5L, "too few Join/Leave changes were checked: " + changesChecked);
        assertTrue(shardsMoved > 0);
    }

    /** One random sequence of valid changes (refused ones are skipped), from configuration 0. */
    private static List<Config> run(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int shards = SHARD_COUNTS[random.nextInt(SHARD_COUNTS.length)];
        List<Config> configs = new ArrayList<>();
        configs.add(ConfigChanges.initial(shards));
        for (int step = 0; step < STEPS; step++) {
            Config latest = configs.get(configs.size() - 1);
            SortedSet<Long> present = groupIds(latest);
            int kind = random.nextInt(10);
            ConfigChanges.Outcome outcome;
            if (kind < 5 || present.isEmpty()) {
                JoinRequest.Builder join = JoinRequest.newBuilder();
                int count = 1 + random.nextInt(3);
                TreeSet<Long> chosen = new TreeSet<>();
                for (int i = 0; i < count; i++) {
                    long gid = 1 + random.nextLong(MAX_GID);
                    if (!present.contains(gid) && chosen.add(gid)) {
                        join.addGroups(ReplicaGroup.newBuilder().setGid(gid).addServers("127.0.0.1:" + (7000 + gid)));
                    }
                }
                if (join.getGroupsCount() == 0) {
                    continue;
                }
                outcome = ConfigChanges.join(latest, join.build());
            } else if (kind < 9) {
                List<Long> ids = new ArrayList<>(present);
                LeaveRequest.Builder leave = LeaveRequest.newBuilder();
                int count = 1 + random.nextInt(Math.min(2, ids.size()));
                for (int i = 0; i < count; i++) {
                    leave.addGids(ids.remove(random.nextInt(ids.size())));
                }
                outcome = ConfigChanges.leave(latest, leave.build());
            } else {
                List<Long> ids = new ArrayList<>(present);
                outcome = ConfigChanges.move(latest, MoveRequest.newBuilder().setShard(random.nextInt(shards))
                        .setGid(ids.get(random.nextInt(ids.size()))).build());
            }
            assertFalse(outcome.isInvalid(), () -> "a valid change was refused: " + outcome.invalid());
            configs.add(outcome.config());
        }
        return configs;
    }

    private static SortedSet<Long> groupIds(Config config) {
        return new TreeSet<>(ConfigChanges.groupsOf(config).keySet());
    }

    private static void assertOnPresentGroups(Config config, String where) {
        SortedSet<Long> present = groupIds(config);
        for (long gid : config.getShardsList()) {
            if (present.isEmpty()) {
                assertEquals(0, gid, where + ": a shard is on group " + gid + " though no group is present");
            } else {
                assertTrue(present.contains(gid), where + ": a shard is on group " + gid + ", not in " + present);
            }
        }
    }

    private static void assertBalanced(Config config, String where) {
        int groups = config.getGroupsCount();
        if (groups == 0) {
            return;
        }
        int shards = config.getShardsCount();
        int floor = shards / groups;
        int ceil = floor + (shards % groups == 0 ? 0 : 1);
        ConfigChanges.shardCounts(config).forEach((gid, held) -> assertTrue(held == floor || held == ceil,
                where + ": group " + gid + " holds " + held + " shards; balanced is " + floor + " or " + ceil));
    }
}
