package io.raftkv.kv.shardkv;

import io.raftkv.proto.service.RequestHeader;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.raftkv.common.shardctrler.KeyShards;
import io.raftkv.kv.shardctrler.Rebalancer;
import io.raftkv.proto.kv.KvCommand;
import io.raftkv.proto.kv.KvCommandResult;
import io.raftkv.proto.service.ErrorCode;
import io.raftkv.proto.shardctrler.Config;
import io.raftkv.proto.shardctrler.ReplicaGroup;
import io.raftkv.proto.shardkv.DeleteShardReply;
import io.raftkv.proto.shardkv.DeleteShardRequest;
import io.raftkv.proto.shardkv.PullShardReply;
import io.raftkv.proto.shardkv.PullShardRequest;
import io.raftkv.proto.shardkv.ShardCommandResult;
import io.raftkv.proto.shardkv.ShardKvCommand;
import io.raftkv.proto.shardkv.ShardRef;
import io.raftkv.raft.api.StateMachine;
import io.raftkv.raft.core.EntryId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

/**
 * Replica groups of one replica each (the real {@link ShardGroupReplica} and {@link ShardGroupDriver}, no Raft: a
 * proposal applies when its task runs), a controller that is a list of configurations, and one queue of tasks run in
 * a seeded random order: every proposal, apply, pull, delete and reply is its own task, so runs interleave the
 * groups' migrations in many orders, and a seed reproduces one. A group can be taken down (its calls fail, its
 * driver stops). After every task the world checks that no two groups serve one shard.
 */
final class DriverWorld implements AutoCloseable {
    static final int SHARDS = 10;
    /** Small chunks, so that shards move in several pulls. */
    static final int CHUNK_BYTES = 64;
    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(1_000_000), ZoneOffset.UTC);

    private final Path root;
    private final SplittableRandom random;
    private final long seed;
    private final List<Runnable> tasks = new ArrayList<>();
    private final List<Config> configs = new ArrayList<>();
    private final Map<Long, Group> groups = new TreeMap<>();
    private final Set<Long> down = new HashSet<>();
    /** Per group: how many more chunks it serves with one bit flipped after their checksum was computed. */
    private final Map<Long, Integer> damagedPulls = new HashMap<>();
    private final GroupPeers peers = new Peers();
    private long steps;

    /** One group's only replica. */
    final class Group {
        final long gid;
        final ShardGroupReplica store;
        final ShardGroupDriver driver;
        /** Chunks this group's driver dropped because they failed their checksum. */
        int damagedChunks;
        private long index;

        Group(long gid) {
            this.gid = gid;
            try {
                this.store = ShardGroupReplica.open(root.resolve("g" + gid), gid, Duration.ofHours(1));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            this.index = store.machine().appliedIndex();
            this.driver = new ShardGroupDriver(store, new ShardGroupDriver.Log() {
                @Override
                public boolean isLeader() {
                    return !down.contains(gid);
                }

                @Override
                public CompletableFuture<byte[]> propose(byte[] entry) {
                    return Group.this.propose(entry);
                }
            }, peers, tasks::add, CLOCK, new ShardGroupDriver.PullEvents() {
                @Override
                public void shardArrived(long nanos) {}

                @Override
                public void damagedChunk() {
                    damagedChunks++;
                }
            });
        }

        /** Applies {@code entry} in a later task (fails if the group is down then). */
        CompletableFuture<byte[]> propose(byte[] entry) {
            CompletableFuture<byte[]> applied = new CompletableFuture<>();
            tasks.add(() -> {
                if (down.contains(gid)) {
                    applied.completeExceptionally(new IllegalStateException("group " + gid + " is down"));
                    return;
                }
                StateMachine.Command command = new StateMachine.Command(new EntryId(1, ++index), entry);
                applied.complete(store.machine().apply(List.of(command)).get(0));
            });
            return applied;
        }
    }

    DriverWorld(Path root, long seed) {
        this.root = root;
        this.seed = seed;
        this.random = new SplittableRandom(seed);
        configs.add(Config.newBuilder().setNum(0).addAllShards(Arrays.stream(new long[SHARDS]).boxed().toList())
                .build());
    }

    Group group(long gid) {
        return groups.computeIfAbsent(gid, Group::new);
    }

    Config latest() {
        return configs.get(configs.size() - 1);
    }

    // ---- the controller ----

    void join(long... gids) {
        TreeSet<Long> members = members();
        for (long gid : gids) {
            group(gid);
            members.add(gid);
        }
        addConfig(Rebalancer.rebalance(owners(), members), members);
    }

    void leave(long... gids) {
        TreeSet<Long> members = members();
        for (long gid : gids) {
            members.remove(gid);
        }
        addConfig(Rebalancer.rebalance(owners(), members), members);
    }

    /** A configuration that gives each shard to the group named (the groups are the latest's). */
    void assign(Map<Integer, Long> moves) {
        long[] owners = owners();
        moves.forEach((shard, gid) -> owners[shard] = gid);
        addConfig(owners, members());
    }

    private TreeSet<Long> members() {
        TreeSet<Long> members = new TreeSet<>();
        latest().getGroupsList().forEach(group -> members.add(group.getGid()));
        return members;
    }

    private long[] owners() {
        return latest().getShardsList().stream().mapToLong(Long::longValue).toArray();
    }

    private void addConfig(long[] owners, Set<Long> members) {
        Config.Builder next = Config.newBuilder().setNum(latest().getNum() + 1);
        for (long owner : owners) {
            next.addShards(owner);
        }
        for (long gid : members) {
            next.addGroups(ReplicaGroup.newBuilder().setGid(gid).addServers(server(gid)));
        }
        configs.add(next.build());
    }

    private static String server(long gid) {
        return "g" + gid + ":1";
    }

    // ---- faults ----

    void down(long gid) {
        down.add(gid);
    }

    void up(long gid) {
        down.remove(gid);
    }

    /** The next {@code chunks} chunks {@code gid} serves arrive with one bit of their first value flipped. */
    void damagePulls(long gid, int chunks) {
        damagedPulls.put(gid, chunks);
    }

    private PullShardReply damaged(long gid, PullShardReply reply) {
        int left = damagedPulls.getOrDefault(gid, 0);
        if (left == 0 || reply.getStatus() != PullShardReply.Status.CHUNK || reply.getEntriesCount() == 0) {
            return reply;
        }
        damagedPulls.put(gid, left - 1);
        byte[] value = reply.getEntries(0).getValue().toByteArray();
        value[0] ^= 0x01;
        return reply.toBuilder().setEntries(0, reply.getEntries(0).toBuilder().setValue(ByteString.copyFrom(value)))
                .build();
    }

    // ---- time ----

    /** One round: every group's driver ticks, then the tasks run in random order until none is left. */
    void round() {
        for (Group group : groups.values()) {
            if (!down.contains(group.gid)) {
                tasks.add(group.driver::tick);
            }
        }
        int budget = 100_000;
        while (!tasks.isEmpty()) {
            if (--budget == 0) {
                throw new AssertionError("seed " + seed + ": a round did not end (tasks keep making tasks)");
            }
            tasks.remove(random.nextInt(tasks.size())).run();
            steps++;
            checkOneServerPerShard();
        }
    }

    /** Runs rounds until {@code condition} holds; false if it did not within {@code rounds}. */
    boolean runUntil(BooleanSupplier condition, int rounds) {
        for (int i = 0; i < rounds; i++) {
            if (condition.getAsBoolean()) {
                return true;
            }
            round();
        }
        return condition.getAsBoolean();
    }

    /** Every group that is up has applied the latest configuration and every shard of it settled. */
    boolean settled() {
        for (Group group : groups.values()) {
            if (down.contains(group.gid)) {
                continue;
            }
            GroupView view = group.store.view();
            if (view.configNum() != latest().getNum() || !view.settled()) {
                return false;
            }
        }
        return true;
    }

    void awaitSettled(String what) {
        if (!runUntil(this::settled, 200)) {
            throw new AssertionError("seed " + seed + ": " + what + ": not settled in 200 rounds: " + describe());
        }
    }

    private void checkOneServerPerShard() {
        for (int shard = 0; shard < SHARDS; shard++) {
            List<Long> serving = new ArrayList<>();
            for (Group group : groups.values()) {
                if (group.store.view().serves(shard)) {
                    serving.add(group.gid);
                }
            }
            if (serving.size() > 1) {
                throw new AssertionError("seed " + seed + " step " + steps + ": shard " + shard
                        + " is served by groups " + serving + ": " + describe());
            }
        }
    }

    String describe() {
        StringBuilder out = new StringBuilder("latest configuration " + latest().getNum() + " "
                + latest().getShardsList());
        for (Group group : groups.values()) {
            GroupView view = group.store.view();
            out.append("\n  group ").append(group.gid).append(down.contains(group.gid) ? " (down)" : "")
                    .append(" at ").append(view.configNum()).append(':');
            for (int shard = 0; shard < view.shardCount(); shard++) {
                out.append(' ').append(shard).append('=').append(view.stateOf(shard));
            }
        }
        return out.toString();
    }

    // ---- a client ----

    /** What a write ended as: applied (the reply's code), or not answered (the owner was down). */
    record WriteOutcome(ErrorCode code, boolean answered) {}

    /**
     * One attempt of a write at the group the latest configuration names, run to its reply (the reply task and any
     * other tasks run meanwhile, in random order).
     */
    WriteOutcome tryWrite(KvCommand.Op op, long client, long sequence, String key, String value) {
        long owner = latest().getShards(KeyShards.shardOf(key.getBytes(StandardCharsets.UTF_8), SHARDS));
        return tryWriteAt(owner, op, client, sequence, key, value);
    }

    WriteOutcome tryWriteAt(long gid, KvCommand.Op op, long client, long sequence, String key, String value) {
        if (gid == 0 || down.contains(gid)) {
            return new WriteOutcome(ErrorCode.TIMEOUT, false);
        }
        CompletableFuture<byte[]> reply = group(gid).propose(ShardKvCommand.newBuilder()
                .setTimestampMillis(CLOCK.millis()).setWrite(KvCommand.newBuilder().setOp(op)
                        .setHeader(RequestHeader.newBuilder().setClientId(client).setSequence(sequence))
                        .setKey(ByteString.copyFromUtf8(key))
                        .setValue(ByteString.copyFromUtf8(value)))
                .build().toByteArray());
        while (!reply.isDone() && !tasks.isEmpty()) {
            tasks.remove(random.nextInt(tasks.size())).run();
            checkOneServerPerShard();
        }
        if (reply.isCompletedExceptionally()) {
            return new WriteOutcome(ErrorCode.TIMEOUT, false);
        }
        try {
            return new WriteOutcome(KvCommandResult.parseFrom(reply.join()).getCode(), true);
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }

    /** A write retried (same client and sequence) through rounds until a group applies it; fails after 200. */
    void write(KvCommand.Op op, long client, long sequence, String key, String value) {
        for (int attempt = 0; attempt < 200; attempt++) {
            WriteOutcome outcome = tryWrite(op, client, sequence, key, value);
            if (outcome.answered() && outcome.code() != ErrorCode.WRONG_GROUP) {
                return;
            }
            round();
        }
        throw new AssertionError("seed " + seed + ": a write of " + key + " was never applied: " + describe());
    }

    /** The value of {@code key} at the group serving it now (null: no such key); fails if no group serves it. */
    String read(String key) {
        byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
        for (Group group : groups.values()) {
            ShardGroupReplica.ReadResult result = group.store.get(bytes);
            if (result.served()) {
                return result.value() == null ? null : new String(result.value(), StandardCharsets.UTF_8);
            }
        }
        throw new AssertionError("seed " + seed + ": no group serves " + key + ": " + describe());
    }

    /** Whether some group serves {@code key} at this instant. */
    boolean served(String key) {
        byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
        return groups.values().stream().anyMatch(group -> !down.contains(group.gid)
                && group.store.get(bytes).served());
    }

    // ---- the network between groups ----

    private final class Peers implements GroupPeers {
        @Override
        public CompletableFuture<Config> query(long num) {
            CompletableFuture<Config> reply = new CompletableFuture<>();
            tasks.add(() -> reply.complete(configs.get((int) Math.min(num, configs.size() - 1))));
            return reply;
        }

        @Override
        public CompletableFuture<PullShardReply> pull(String server, PullShardRequest request) {
            CompletableFuture<PullShardReply> reply = new CompletableFuture<>();
            tasks.add(() -> {
                Group target = target(server);
                if (target == null) {
                    reply.completeExceptionally(new IllegalStateException(server + " is down"));
                } else {
                    reply.complete(damaged(target.gid, target.store.pull(request, CHUNK_BYTES).toBuilder()
                            .setCode(ErrorCode.OK).build()));
                }
            });
            return reply;
        }

        @Override
        public CompletableFuture<DeleteShardReply> delete(String server, DeleteShardRequest request) {
            Group target = target(server);
            if (target == null) {
                return CompletableFuture.failedFuture(new IllegalStateException(server + " is down"));
            }
            return target.propose(ShardKvCommand.newBuilder().setTimestampMillis(CLOCK.millis())
                    .setDeleteShard(ShardRef.newBuilder().setConfigNum(request.getConfigNum())
                            .setShard(request.getShard()))
                    .build().toByteArray()).thenApply(bytes -> {
                        try {
                            ShardCommandResult result = ShardCommandResult.parseFrom(bytes);
                            return DeleteShardReply.newBuilder().setCode(result.getCode())
                                    .setConfigNum(result.getConfigNum()).build();
                        } catch (InvalidProtocolBufferException e) {
                            throw new AssertionError(e);
                        }
                    });
        }

        private Group target(String server) {
            long gid = Long.parseLong(server.substring(1, server.indexOf(':')));
            return down.contains(gid) ? null : groups.get(gid);
        }
    }

    @Override
    public void close() {
        groups.values().forEach(group -> group.store.close());
    }
}
