package io.raftkv.kv.shardkv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.common.shardctrler.KeyShards;
import io.raftkv.proto.kv.KvCommand;
import io.raftkv.proto.kv.ShardState;
import io.raftkv.proto.service.ErrorCode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Replica groups' drivers moving shards between them ({@link DriverWorld}: real stores and drivers, every step a
 * task run in seeded random order, and after every one a check that no two groups serve one shard): joins and
 * leaves under writes lose and double nothing and leave nothing behind; an append retried at the new owner applies
 * once; a swap in one configuration settles; a dead group blocks only its own shards; a stale client is redirected.
 */
class ShardGroupDriverTest {
    private static final long A = 100;
    private static final long B = 200;
    private static final long C = 300;

    @TempDir
    Path dir;

    private static String keyOf(int shard, int n) {
        for (int i = 0; ; i++) {
            String key = "k" + n + "-" + i;
            if (KeyShards.shardOf(key.getBytes(StandardCharsets.UTF_8), DriverWorld.SHARDS) == shard) {
                return key;
            }
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6})
    void joinsAndLeavesUnderWritesLoseNothingDoubleNothingAndLeaveNothingBehind(long seed) {
        try (DriverWorld world = new DriverWorld(dir, seed)) {
            List<String> keys = new ArrayList<>();
            for (int shard = 0; shard < DriverWorld.SHARDS; shard++) {
                keys.add(keyOf(shard, 0));
                keys.add(keyOf(shard, 1));
            }
            Map<String, StringBuilder> expected = new LinkedHashMap<>();
            keys.forEach(key -> expected.put(key, new StringBuilder()));
            long[] sequence = {0};
            Runnable writeEveryKey = () -> {
                for (String key : keys) {
                    String token = "t" + sequence[0] + ";";
                    world.write(KvCommand.Op.APPEND, 1, ++sequence[0], key, token);
                    expected.get(key).append(token);
                    world.round();
                }
            };
            world.join(A);
            writeEveryKey.run();
            world.join(B);
            writeEveryKey.run(); // during the move
            world.join(C);
            writeEveryKey.run();
            world.leave(A);
            writeEveryKey.run();
            world.awaitSettled("after A left");
            assertEquals(0, world.group(A).store.storedBytes(), "A keeps no data after leaving");
            world.leave(B);
            world.join(A);
            writeEveryKey.run();
            world.awaitSettled("after B left and A came back");
            assertEquals(0, world.group(B).store.storedBytes(), "B keeps no data after leaving");
            for (String key : keys) {
                assertEquals(expected.get(key).toString(), world.read(key), "seed " + seed + ": " + key);
            }
        }
    }

    @Test
    void anAppendRetriedAtTheNewOwnerAfterTheShardMovedAppliesOnce() {
        try (DriverWorld world = new DriverWorld(dir, 7)) {
            world.join(A);
            world.awaitSettled("A alone");
            String key = keyOf(3, 0);
            // Applied at A, but (say) the reply was lost: the client will retry with the same sequence.
            assertEquals(ErrorCode.OK, world.tryWriteAt(A, KvCommand.Op.APPEND, 42, 1, key, "once;").code());
            world.join(B);
            world.awaitSettled("A and B");
            if (world.latest().getShards(3) == A) {
                world.assign(Map.of(3, B));
                world.awaitSettled("shard 3 on B");
            }
            long owner = world.latest().getShards(3);
            assertEquals(B, owner);
            assertEquals(ErrorCode.WRONG_GROUP,
                    world.tryWriteAt(A, KvCommand.Op.APPEND, 42, 1, key, "once;").code(), "A no longer serves it");
            assertEquals(ErrorCode.OK, world.tryWriteAt(owner, KvCommand.Op.APPEND, 42, 1, key, "once;").code());
            assertEquals("once;", world.read(key), "the retry at the new owner was recognised as applied");
        }
    }

    @Test
    void whenEveryGroupLeavesTheLastHolderKeepsTheDataForTheNextGroupToJoin() {
        try (DriverWorld world = new DriverWorld(dir, 19)) {
            world.join(A);
            List<String> keys = new ArrayList<>();
            for (int shard = 0; shard < DriverWorld.SHARDS; shard++) {
                keys.add(keyOf(shard, 0));
                world.write(KvCommand.Op.PUT, 1, shard + 1, keys.get(shard), "v" + shard);
            }
            world.leave(A);
            world.awaitSettled("every group left");
            for (String key : keys) {
                assertFalse(world.served(key), key + " is served by no group");
            }
            assertTrue(world.group(A).store.storedBytes() > 0, "A keeps the shards frozen for whoever comes next");

            world.join(B);
            world.awaitSettled("B joined an empty configuration");
            for (int shard = 0; shard < DriverWorld.SHARDS; shard++) {
                assertEquals("v" + shard, world.read(keys.get(shard)), "B pulled shard " + shard + " from A");
            }
            assertEquals(0, world.group(A).store.storedBytes(), "A deleted what B pulled");

            world.leave(B);
            world.join(B); // the holder itself comes back: it serves its frozen shards again
            world.awaitSettled("B left and came back");
            for (int shard = 0; shard < DriverWorld.SHARDS; shard++) {
                assertEquals("v" + shard, world.read(keys.get(shard)));
            }
        }
    }

    @Test
    void twoGroupsSwappingShardsInOneConfigurationBothSettle() {
        try (DriverWorld world = new DriverWorld(dir, 11)) {
            world.join(A, B);
            world.awaitSettled("A and B");
            int fromA = world.latest().getShardsList().indexOf(A);
            int fromB = world.latest().getShardsList().indexOf(B);
            String keyA = keyOf(fromA, 0);
            String keyB = keyOf(fromB, 0);
            world.write(KvCommand.Op.PUT, 1, 1, keyA, "on-a");
            world.write(KvCommand.Op.PUT, 1, 2, keyB, "on-b");
            world.assign(Map.of(fromA, B, fromB, A));
            world.awaitSettled("after the swap");
            assertEquals("on-a", world.read(keyA));
            assertEquals("on-b", world.read(keyB));
            assertEquals(ShardState.SERVING, world.group(B).store.view().stateOf(fromA));
            assertEquals(ShardState.SERVING, world.group(A).store.view().stateOf(fromB));
        }
    }

    @Test
    void aDeadGroupBlocksOnlyItsOwnShardsAndArrivedShardsServeAtOnce() {
        try (DriverWorld world = new DriverWorld(dir, 13)) {
            world.join(A, B, C);
            world.awaitSettled("three groups");
            List<Long> owners = world.latest().getShardsList();
            int fromB = owners.indexOf(B);
            int fromC = owners.indexOf(C);
            int keptByA = owners.indexOf(A);
            for (int shard = 0; shard < DriverWorld.SHARDS; shard++) {
                world.write(KvCommand.Op.PUT, 1, shard + 1, keyOf(shard, 0), "v" + shard);
            }
            world.down(C);
            world.assign(Map.of(fromB, A, fromC, A));
            for (int round = 0; round < 60; round++) {
                world.round();
                assertTrue(world.served(keyOf(keptByA, 0)), "A's own shard serves throughout (round " + round + ")");
                for (int shard = 0; shard < DriverWorld.SHARDS; shard++) {
                    long owner = owners.get(shard);
                    if (shard != fromB && shard != fromC && owner != C) {
                        assertTrue(world.served(keyOf(shard, 0)), "unmoved shard " + shard + " (round " + round
                                + ")");
                    }
                }
            }
            GroupView a = world.group(A).store.view();
            assertEquals(world.latest().getNum(), a.configNum(), "A applied the change");
            assertEquals(ShardState.PULLING, a.stateOf(fromC), "C's shard waits for C");
            assertTrue(a.serves(fromB), "B's shard arrived and serves though C's has not: " + world.describe());
            assertEquals("v" + fromB, world.read(keyOf(fromB, 0)));
            assertFalse(world.served(keyOf(fromC, 0)));

            world.up(C);
            world.awaitSettled("C back");
            for (int shard = 0; shard < DriverWorld.SHARDS; shard++) {
                assertEquals("v" + shard, world.read(keyOf(shard, 0)));
            }
        }
    }

    @Test
    void aReceiverDownMidPullResumesWhereItsLogLeftOff() {
        try (DriverWorld world = new DriverWorld(dir, 17)) {
            List<String> keys = groupAHoldsFortyKeys(world);
            world.join(B);
            // Let B install part of its shards (chunks of 64 bytes), then take it down and bring it back.
            world.runUntil(() -> world.group(B).store.counters().shardsPulled() == 0
                    && world.group(B).store.view().configNum() == world.latest().getNum()
                    && !world.group(B).store.view().progressOf(0).getResumeAfter().isEmpty()
                    || world.group(B).store.counters().shardsPulled() > 0, 50);
            world.down(B);
            for (int i = 0; i < 5; i++) {
                world.round();
            }
            world.up(B);
            world.awaitSettled("B back");
            assertFortyKeysServed(world, keys);
        }
    }

    @Test
    void aChunkThatFailsItsChecksumIsNeverInstalledAndIsPulledAgain() {
        try (DriverWorld world = new DriverWorld(dir, 23)) {
            List<String> keys = groupAHoldsFortyKeys(world);
            world.damagePulls(A, 5);
            world.join(B);
            world.awaitSettled("B joined while A served damaged chunks");
            assertEquals(5, world.group(B).damagedChunks);
            assertFortyKeysServed(world, keys);
        }
    }

    /** Group A joins alone and takes 40 keys over every shard, each value long enough to span chunks. */
    private static List<String> groupAHoldsFortyKeys(DriverWorld world) {
        world.join(A);
        world.awaitSettled("A alone");
        List<String> keys = new ArrayList<>();
        for (int n = 0; n < 40; n++) {
            String key = keyOf(n % DriverWorld.SHARDS, n);
            keys.add(key);
            world.write(KvCommand.Op.PUT, 1, n + 1, key, "value-" + n + "-" + "x".repeat(30));
        }
        return keys;
    }

    /** Every key of {@link #groupAHoldsFortyKeys} is served with its value, wherever it is now. */
    private static void assertFortyKeysServed(DriverWorld world, List<String> keys) {
        for (int n = 0; n < keys.size(); n++) {
            assertEquals("value-" + n + "-" + "x".repeat(30), world.read(keys.get(n)));
        }
    }
}
