package io.raftkv.kv.shardkv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.proto.service.RequestHeader;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.raftkv.common.shardctrler.KeyShards;
import io.raftkv.proto.kv.KvCommand;
import io.raftkv.proto.kv.KvCommandResult;
import io.raftkv.proto.kv.ShardState;
import io.raftkv.proto.service.ErrorCode;
import io.raftkv.proto.shardctrler.Config;
import io.raftkv.proto.shardctrler.ReplicaGroup;
import io.raftkv.proto.shardkv.InstallChunk;
import io.raftkv.proto.shardkv.PullShardReply;
import io.raftkv.proto.shardkv.PullShardRequest;
import io.raftkv.proto.shardkv.ShardCommandResult;
import io.raftkv.proto.shardkv.ShardKvCommand;
import io.raftkv.proto.shardkv.ShardRef;
import io.raftkv.raft.api.StateMachine;
import io.raftkv.raft.core.EntryId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replica group's rules, applied directly (no Raft): configurations in order and only when settled, ownership at
 * apply time, chunked installs that ignore replays, sessions that move with their shard, deletion that leaves nothing
 * behind, and state that survives a restart mid-pull.
 */
class ShardGroupReplicaTest {
    private static final int SHARDS = 10;
    private static final Duration TTL = Duration.ofHours(1);
    private static final long A = 100;
    private static final long B = 101;

    @TempDir
    Path dir;

    /** Applies commands to one store with consecutive indexes, as a raft node's apply thread would. */
    private static final class Group {
        final ShardGroupReplica store;
        long index;

        Group(ShardGroupReplica store) {
            this.store = store;
            this.index = store.machine().appliedIndex();
        }

        byte[] apply(ShardKvCommand.Builder command) {
            return store.machine().apply(List.of(new StateMachine.Command(new EntryId(1, ++index),
                    command.setTimestampMillis(1000).build().toByteArray()))).get(0);
        }

        KvCommandResult write(KvCommand.Op op, long client, long seq, String key, String value) {
            try {
                return KvCommandResult.parseFrom(apply(ShardKvCommand.newBuilder().setWrite(KvCommand.newBuilder()
                        .setOp(op).setHeader(RequestHeader.newBuilder().setClientId(client).setSequence(seq)).setKey(bytes(key)).setValue(bytes(value)))));
            } catch (InvalidProtocolBufferException e) {
                throw new AssertionError(e);
            }
        }

        ErrorCode append(long client, long seq, String key, String value) {
            return write(KvCommand.Op.APPEND, client, seq, key, value).getCode();
        }

        ShardCommandResult command(ShardKvCommand.Builder command) {
            try {
                return ShardCommandResult.parseFrom(apply(command));
            } catch (InvalidProtocolBufferException e) {
                throw new AssertionError(e);
            }
        }

        void config(Config config) {
            command(ShardKvCommand.newBuilder().setConfig(config));
        }

        String value(String key) {
            ShardGroupReplica.ReadResult read = store.get(key.getBytes(StandardCharsets.UTF_8));
            assertTrue(read.served(), key + " is not served");
            return read.value() == null ? null : new String(read.value(), StandardCharsets.UTF_8);
        }
    }

    private static ByteString bytes(String text) {
        return ByteString.copyFromUtf8(text);
    }

    private static Config config(long num, long... owners) {
        Config.Builder config = Config.newBuilder().setNum(num);
        for (long owner : owners) {
            config.addShards(owner);
        }
        for (long gid : new long[] {A, B}) {
            config.addGroups(ReplicaGroup.newBuilder().setGid(gid).addServers("127.0.0.1:" + gid));
        }
        return config.build();
    }

    private static long[] all(long gid) {
        long[] owners = new long[SHARDS];
        java.util.Arrays.fill(owners, gid);
        return owners;
    }

    /** Shards 0-4 on A, 5-9 on B. */
    private static long[] split() {
        long[] owners = all(A);
        for (int shard = 5; shard < SHARDS; shard++) {
            owners[shard] = B;
        }
        return owners;
    }

    /** A key of each shard: key-of-shard-N names are found by search, since the shard is a hash of the key. */
    private static String keyOf(int shard, int n) {
        for (int i = 0; ; i++) {
            String key = "k" + n + "-" + i;
            if (KeyShards.shardOf(key.getBytes(StandardCharsets.UTF_8), SHARDS) == shard) {
                return key;
            }
        }
    }

    /** Pulls every chunk of {@code shard} from {@code source} into {@code target}, chunks of about {@code bytes}. */
    private static int move(Group source, Group target, long num, int shard, int bytes) {
        int chunks = 0;
        while (target.store.view().stateOf(shard) == ShardState.PULLING) {
            PullShardReply reply = source.store.pull(PullShardRequest.newBuilder().setConfigNum(num).setShard(shard)
                    .setAfterKey(target.store.view().resumeAfter(shard)).build(), bytes);
            assertEquals(PullShardReply.Status.CHUNK, reply.getStatus());
            target.command(ShardKvCommand.newBuilder().setInstall(chunkOf(num, shard,
                    target.store.view().resumeAfter(shard), reply)));
            chunks++;
        }
        return chunks;
    }

    private static InstallChunk chunkOf(long num, int shard, ByteString after, PullShardReply reply) {
        return InstallChunk.newBuilder().setConfigNum(num).setShard(shard).setAfterKey(after)
                .addAllEntries(reply.getEntriesList()).setLast(reply.getLast())
                .addAllSessions(reply.getSessionsList()).build();
    }

    @Test
    void servesNothingBeforeItsFirstConfigurationAndEverythingGivenFromNobody() throws IOException {
        try (ShardGroupReplica store = ShardGroupReplica.open(dir.resolve("a"), A, TTL)) {
            Group a = new Group(store);
            assertEquals(ErrorCode.WRONG_GROUP, a.append(1, 1, "x", "1"));
            assertFalse(store.get("x".getBytes(StandardCharsets.UTF_8)).served());

            a.config(config(2, all(A)));
            assertEquals(0, store.view().configNum(), "configuration 2 cannot follow 0");
            a.config(config(1, all(A)));
            assertEquals(1, store.view().configNum());
            assertEquals(SHARDS, store.view().count(ShardState.SERVING), "shards that had no owner are empty");
            assertEquals(ErrorCode.OK, a.append(1, 1, "x", "1"));
            assertEquals("1", a.value("x"));
        }
    }

    @Test
    void shardMovesInChunksWithItsSessionsAndLeavesNothingBehind() throws IOException {
        try (ShardGroupReplica storeA = ShardGroupReplica.open(dir.resolve("a"), A, TTL);
                ShardGroupReplica storeB = ShardGroupReplica.open(dir.resolve("b"), B, TTL)) {
            Group a = new Group(storeA);
            Group b = new Group(storeB);
            a.config(config(1, all(A)));
            b.config(config(1, all(A)));
            List<String> keys = new ArrayList<>();
            for (int shard = 0; shard < SHARDS; shard++) {
                for (int n = 0; n < 5; n++) {
                    String key = keyOf(shard, n);
                    keys.add(key);
                    assertEquals(ErrorCode.OK, a.append(7, keys.size(), key, "v" + n + "."));
                }
            }
            long seqOnMovedShard = keys.size(); // client 7's last write went to shard 9, which moves
            long bytesBefore = storeA.storedBytes();

            a.config(config(2, split()));
            b.config(config(2, split()));
            assertEquals(ShardState.BEPULLING, storeA.view().stateOf(7));
            assertEquals(ShardState.PULLING, storeB.view().stateOf(7));
            assertEquals(ShardState.SERVING, storeA.view().stateOf(2), "a shard that stays keeps serving");
            assertEquals(ErrorCode.WRONG_GROUP, a.append(8, 1, keyOf(7, 0), "late"), "A handed shard 7 over");
            assertEquals(ErrorCode.WRONG_GROUP, b.append(8, 1, keyOf(7, 0), "early"), "B does not have it yet");
            assertEquals(ErrorCode.OK, a.append(8, 1, keyOf(2, 0), "more."), "shard 2 is not moving");

            b.config(config(3, all(B)));
            assertEquals(2, storeB.view().configNum(), "no next configuration until the shards settle");

            for (int shard = 5; shard < SHARDS; shard++) {
                assertTrue(move(a, b, 2, shard, 10) >= 2, "small chunks: several per shard");
            }
            for (int shard = 5; shard < SHARDS; shard++) {
                assertEquals(ShardState.DELETING_PREVIOUS, storeB.view().stateOf(shard));
                for (int n = 0; n < 5; n++) {
                    assertEquals("v" + n + ".", b.value(keyOf(shard, n)));
                }
            }
            // Exactly once across the move: client 7 retries its last write (applied by A) at B.
            String lastKey = keys.get(keys.size() - 1);
            assertEquals(ErrorCode.OK, b.append(7, seqOnMovedShard, lastKey, "v4."));
            assertEquals("v4.", b.value(lastKey));

            // A replayed first chunk is ignored: the value written since stays.
            assertEquals(ErrorCode.OK, b.append(9, 1, keyOf(5, 0), "new."));
            PullShardReply replay = PullShardReply.newBuilder().setStatus(PullShardReply.Status.CHUNK)
                    .addEntries(io.raftkv.proto.shardkv.ShardEntry.newBuilder().setKey(bytes(keyOf(5, 0)))
                            .setValue(bytes("stale"))).build();
            b.command(ShardKvCommand.newBuilder().setInstall(chunkOf(2, 5, ByteString.EMPTY, replay)));
            assertEquals("v0.new.", b.value(keyOf(5, 0)));

            for (int shard = 5; shard < SHARDS; shard++) {
                assertEquals(ErrorCode.OK, a.command(ShardKvCommand.newBuilder().setDeleteShard(
                        ShardRef.newBuilder().setConfigNum(2).setShard(shard))).getCode());
                assertEquals(ShardState.NOT_OWNED, storeA.view().stateOf(shard));
                assertEquals(PullShardReply.Status.GONE, storeA.pull(PullShardRequest.newBuilder()
                        .setConfigNum(2).setShard(shard).build(), 100).getStatus());
                b.command(ShardKvCommand.newBuilder().setPreviousDeleted(ShardRef.newBuilder().setConfigNum(2)
                        .setShard(shard)));
                assertEquals(ShardState.SERVING, storeB.view().stateOf(shard));
            }
            long[] keysA = storeA.keysPerShard();
            for (int shard = 5; shard < SHARDS; shard++) {
                assertEquals(0, keysA[shard], "A keeps no key of shard " + shard);
            }
            assertTrue(storeA.storedBytes() < bytesBefore * 6 / 10,
                    "A stores about half what it did: " + storeA.storedBytes() + " of " + bytesBefore);
            assertEquals(ErrorCode.OK, a.command(ShardKvCommand.newBuilder().setDeleteShard(
                    ShardRef.newBuilder().setConfigNum(2).setShard(5))).getCode(), "a repeated delete is harmless");

            b.config(config(3, all(B)));
            assertEquals(3, storeB.view().configNum(), "settled: the next configuration applies");
        }
    }

    @Test
    void aRestartedReplicaResumesAHalfDonePull() throws IOException {
        Path bDir = dir.resolve("b");
        try (ShardGroupReplica storeA = ShardGroupReplica.open(dir.resolve("a"), A, TTL)) {
            Group a = new Group(storeA);
            a.config(config(1, all(A)));
            for (int n = 0; n < 6; n++) {
                assertEquals(ErrorCode.OK, a.append(1, n + 1, keyOf(8, n), "value-" + n));
            }
            a.config(config(2, split()));
            ByteString resume;
            long index;
            try (ShardGroupReplica storeB = ShardGroupReplica.open(bDir, B, TTL)) {
                Group b = new Group(storeB);
                b.config(config(1, all(A)));
                b.config(config(2, split()));
                PullShardReply first = storeA.pull(PullShardRequest.newBuilder().setConfigNum(2).setShard(8)
                        .build(), 1);
                assertFalse(first.getLast());
                b.command(ShardKvCommand.newBuilder().setInstall(chunkOf(2, 8, ByteString.EMPTY, first)));
                resume = storeB.view().resumeAfter(8);
                assertFalse(resume.isEmpty());
                storeB.machine().sync();
                index = b.index;
            }
            try (ShardGroupReplica storeB = ShardGroupReplica.open(bDir, B, TTL)) {
                assertEquals(index, storeB.machine().appliedIndex());
                assertEquals(ShardState.PULLING, storeB.view().stateOf(8));
                assertEquals(resume, storeB.view().resumeAfter(8), "the pull resumes where it stopped");
                Group b = new Group(storeB);
                move(a, b, 2, 8, 1);
                for (int n = 0; n < 6; n++) {
                    assertEquals("value-" + n, b.value(keyOf(8, n)));
                }
                assertNull(b.value(keyOf(8, 99)));
            }
        }
    }

    @Test
    void aPullBeforeTheSourceAppliedTheConfigurationIsAnsweredNotYet() throws IOException {
        try (ShardGroupReplica store = ShardGroupReplica.open(dir.resolve("a"), A, TTL)) {
            Group a = new Group(store);
            a.config(config(1, all(A)));
            PullShardReply reply = store.pull(PullShardRequest.newBuilder().setConfigNum(2).setShard(7).build(), 100);
            assertEquals(PullShardReply.Status.NOT_YET, reply.getStatus());
            assertEquals(1, reply.getConfigNum());
            assertEquals(ErrorCode.WRONG_GROUP, a.command(ShardKvCommand.newBuilder().setDeleteShard(
                    ShardRef.newBuilder().setConfigNum(2).setShard(7))).getCode(), "no delete ahead of the config");
            assertArrayEquals(new long[SHARDS], store.keysPerShard());
        }
    }
}
