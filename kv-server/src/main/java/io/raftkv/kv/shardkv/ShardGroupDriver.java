package io.raftkv.kv.shardkv;

import com.google.protobuf.ByteString;
import io.raftkv.proto.kv.ShardState;
import io.raftkv.proto.service.ErrorCode;
import io.raftkv.proto.shardctrler.Config;
import io.raftkv.proto.shardkv.DeleteShardReply;
import io.raftkv.proto.shardkv.DeleteShardRequest;
import io.raftkv.proto.shardkv.InstallChunk;
import io.raftkv.proto.shardkv.PullShardReply;
import io.raftkv.proto.shardkv.PullShardRequest;
import io.raftkv.proto.shardkv.ShardKvCommand;
import io.raftkv.proto.shardkv.ShardRef;
import java.time.Clock;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves a replica group through configurations, on its leader: every {@link #tick} (100 ms in a server) it
 *
 * <ol>
 *   <li>asks the controller for the configuration after the applied one, once every shard has settled, and proposes
 *       it;
 *   <li>pulls each PULLING shard from a replica of its previous owner (or, for a shard that came from group 0, of
 *       the last group that held it), chunk after chunk, each chunk proposed and
 *       applied before the next is asked for (a replica that has not applied the configuration answers "not yet",
 *       and the next tick asks again, maybe another replica);
 *   <li>asks the previous owner of each DELETING_PREVIOUS shard to delete it, then proposes that the shard settled.
 * </ol>
 *
 * Its work comes only from the applied {@link GroupView} (never from events seen once), so a new leader, or a leader
 * restarted mid-change, picks up where the log left off. A stale proposal (from a deposed leader, or duplicated) is
 * refused by the state machine, which checks every command against the state it applies to.
 *
 * <p>Threads: everything runs on {@code loop}, one thread; calls to other groups and Raft return futures whose
 * completions hop back onto it. Nothing here blocks.
 */
public final class ShardGroupDriver {
    private static final Logger LOG = LoggerFactory.getLogger(ShardGroupDriver.class);

    /** The local Raft group as the driver sees it. */
    public interface Log {
        boolean isLeader();

        /** Proposes an entry; completes with its apply reply, or fails if it was not committed at this node. */
        CompletableFuture<byte[]> propose(byte[] entry);
    }

    private final long gid;
    private final ShardGroupReplica replica;
    private final Log log;
    private final GroupPeers peers;
    private final Executor loop;
    private final Clock clock;

    // Owned by the loop thread.
    private boolean configInFlight;
    private final Set<Integer> pulling = new HashSet<>();
    private final Set<Integer> deleting = new HashSet<>();
    private final Map<Integer, Integer> attempts = new HashMap<>();
    private final Map<Integer, Long> pullStartedNanos = new HashMap<>();
    private final Map<ShardAt, Source> sources = new HashMap<>();
    private final Map<Long, Config> configs = new HashMap<>();
    private final PullEvents pullEvents;

    /** Where the driver reports how its pulls went, for the metrics. */
    public interface PullEvents {
        /** A shard arrived whole, {@code nanos} after its first pull. */
        void shardArrived(long nanos);

        /** A chunk failed its checksum and was dropped. */
        void damagedChunk();

        PullEvents NONE = new PullEvents() {
            @Override
            public void shardArrived(long nanos) {}

            @Override
            public void damagedChunk() {}
        };
    }

    public ShardGroupDriver(ShardGroupReplica replica, Log log, GroupPeers peers, Executor loop, Clock clock,
            PullEvents pullEvents) {
        this.gid = replica.gid();
        this.replica = replica;
        this.log = log;
        this.peers = peers;
        this.loop = loop;
        this.clock = clock;
        this.pullEvents = pullEvents;
    }

    /** One round of work (on the loop thread). */
    public void tick() {
        if (!log.isLeader()) {
            return;
        }
        GroupView view = replica.view();
        if (view.settled()) {
            askForNextConfig(view.configNum());
            return;
        }
        for (int shard = 0; shard < view.shardCount(); shard++) {
            ShardState state = view.stateOf(shard);
            if (state == ShardState.PULLING && pulling.add(shard)) {
                pullStartedNanos.putIfAbsent(shard, System.nanoTime());
                pullNext(shard, view.configNum());
            } else if (state == ShardState.DELETING_PREVIOUS && deleting.add(shard)) {
                askToDelete(shard, view.configNum());
            }
        }
    }

    private void askForNextConfig(long applied) {
        if (configInFlight) {
            return;
        }
        configInFlight = true;
        peers.query(applied + 1).whenCompleteAsync((config, error) -> {
            if (error != null || config == null || config.getNum() != applied + 1 || !log.isLeader()) {
                configInFlight = false;
                return;
            }
            propose(ShardKvCommand.newBuilder().setConfig(config))
                    .whenCompleteAsync((reply, proposeError) -> configInFlight = false, loop);
        }, loop);
    }

    /** Where a shard gained in a configuration comes from: the group holding it and its servers (gid 0: nobody). */
    private record Source(long gid, List<String> servers) {
        static final Source NOBODY = new Source(0, List.of());
    }

    private record ShardAt(long num, int shard) {}

    /**
     * Finds where {@code shard}, gained in configuration {@code num}, comes from, and runs {@code then} with it (or
     * with null when the controller could not say now: the next tick tries again). Usually its previous owner; when
     * that is group 0 (every group had left), the last group that held it, found in the controller's history.
     */
    private void sourceOf(int shard, GroupView view, Consumer<Source> then) {
        long owner = view.previousOwner(shard);
        if (owner != 0) {
            then.accept(new Source(owner, GroupView.serversOf(view.previous(), owner)));
            return;
        }
        ShardAt key = new ShardAt(view.configNum(), shard);
        Source known = sources.get(key);
        if (known != null) {
            then.accept(known);
            return;
        }
        walkBack(key, view.configNum() - 1, then);
    }

    /** Looks at configuration {@code n} and earlier for the last group that owned the shard. */
    private void walkBack(ShardAt key, long n, Consumer<Source> then) {
        if (n < 1) {
            sources.put(key, Source.NOBODY); // never anyone's: it is empty
            then.accept(Source.NOBODY);
            return;
        }
        config(n).whenCompleteAsync((config, error) -> {
            if (error != null || config == null || config.getNum() != n) {
                then.accept(null);
                return;
            }
            long owner = config.getShards(key.shard());
            if (owner == 0) {
                walkBack(key, n - 1, then);
            } else if (owner == gid) {
                // This group held it last, so it would have kept it frozen and serve it: a state it cannot be in.
                LOG.error("group {}: shard {} of configuration {} was last ours, in configuration {}, but it is not"
                        + " here; not installing it empty", gid, key.shard(), key.num(), n);
                then.accept(null);
            } else {
                Source found = new Source(owner, GroupView.serversOf(config, owner));
                sources.put(key, found);
                then.accept(found);
            }
        }, loop);
    }

    /** Configuration {@code n} (configurations never change once made, so each is asked for once). */
    private CompletableFuture<Config> config(long n) {
        Config cached = configs.get(n);
        if (cached != null) {
            return CompletableFuture.completedFuture(cached);
        }
        return peers.query(n).thenApply(config -> {
            if (config != null && config.getNum() == n) {
                configs.put(n, config);
            }
            return config;
        });
    }

    /** Asks the shard's source for the chunk after the last installed one (the applied view says which). */
    private void pullNext(int shard, long num) {
        GroupView view = replica.view();
        if (view.configNum() != num || view.stateOf(shard) != ShardState.PULLING || !log.isLeader()) {
            finishPull(shard);
            return;
        }
        sourceOf(shard, view, source -> {
            if (source == null) {
                pulling.remove(shard);
            } else if (source.gid() == 0) {
                installEmpty(shard, num);
            } else {
                pullFrom(source, shard, num, view.resumeAfter(shard));
            }
        });
    }

    /** A shard that was never anyone's: one empty last chunk settles it. */
    private void installEmpty(int shard, long num) {
        propose(ShardKvCommand.newBuilder().setInstall(InstallChunk.newBuilder().setConfigNum(num).setShard(shard)
                .setLast(true))).whenCompleteAsync((applied, error) -> finishPull(shard), loop);
    }

    /**
     * Pulls the shard from {@code afterKey} on: while one chunk is proposed and applied, the next is already being
     * fetched (it starts after the last key of the one being installed), so the transfer and the replication overlap.
     */
    private void pullFrom(Source source, int shard, long num, ByteString afterKey) {
        install(source, shard, num, afterKey, fetch(source, shard, num, afterKey));
    }

    private CompletableFuture<PullShardReply> fetch(Source source, int shard, long num, ByteString afterKey) {
        String server = pick(source.servers(), shard);
        if (server == null) {
            return CompletableFuture.failedFuture(new IllegalStateException("no servers of group " + source.gid()
                    + " are known, which has shard " + shard));
        }
        return peers.pull(server, PullShardRequest.newBuilder().setConfigNum(num).setShard(shard)
                .setAfterKey(afterKey).setRequesterGid(gid).build()).thenApply(reply -> {
                    if (reply.getStatus() == PullShardReply.Status.GONE) {
                        LOG.warn("group {}: {} says shard {} of configuration {} is gone (it is at {})", gid,
                                server, shard, num, reply.getConfigNum());
                    }
                    return reply;
                });
    }

    private void install(Source source, int shard, long num, ByteString afterKey,
            CompletableFuture<PullShardReply> fetched) {
        fetched.whenCompleteAsync((reply, error) -> {
            if (error != null || reply.getCode() != ErrorCode.OK
                    || reply.getStatus() != PullShardReply.Status.CHUNK) {
                attempts.merge(shard, 1, Integer::sum); // the next tick asks the next replica
                pulling.remove(shard);
                return;
            }
            if (!ChunkChecksum.matches(reply)) {
                LOG.warn("group {}: a chunk of shard {} (configuration {}) from {} fails its checksum: dropped, the"
                        + " next replica is asked", gid, shard, num, reply.getNodeId());
                pullEvents.damagedChunk();
                attempts.merge(shard, 1, Integer::sum);
                pulling.remove(shard);
                return;
            }
            InstallChunk chunk = InstallChunk.newBuilder().setConfigNum(num).setShard(shard).setAfterKey(afterKey)
                    .addAllEntries(reply.getEntriesList()).setLast(reply.getLast())
                    .addAllSessions(reply.getSessionsList()).build();
            ByteString nextAfter = chunk.getLast() || chunk.getEntriesCount() == 0 ? null
                    : chunk.getEntries(chunk.getEntriesCount() - 1).getKey();
            CompletableFuture<PullShardReply> next = nextAfter == null ? null
                    : fetch(source, shard, num, nextAfter);
            propose(ShardKvCommand.newBuilder().setInstall(chunk)).whenCompleteAsync((applied, proposeError) -> {
                GroupView view = replica.view();
                if (proposeError != null || view.configNum() != num || !log.isLeader()) {
                    finishPull(shard);
                } else if (chunk.getLast()) {
                    finishPull(shard);
                    Long started = pullStartedNanos.remove(shard);
                    if (started != null && view.stateOf(shard) != ShardState.PULLING) {
                        pullEvents.shardArrived(System.nanoTime() - started);
                    }
                } else if (nextAfter == null || view.stateOf(shard) != ShardState.PULLING
                        || !view.resumeAfter(shard).equals(nextAfter)) {
                    finishPull(shard); // the chunk did not land where expected: start again from the view
                } else {
                    install(source, shard, num, nextAfter, next);
                }
            }, loop);
        }, loop);
    }

    private void finishPull(int shard) {
        pulling.remove(shard);
        attempts.remove(shard);
    }

    private void askToDelete(int shard, long num) {
        GroupView view = replica.view();
        sourceOf(shard, view, source -> {
            if (source == null) {
                deleting.remove(shard);
            } else if (source.gid() == 0) {
                previousDeleted(shard, num); // nobody held it: nothing to delete
            } else {
                askToDelete(source, shard, num);
            }
        });
    }

    private void askToDelete(Source source, int shard, long num) {
        String server = pick(source.servers(), shard);
        if (server == null) {
            deleting.remove(shard);
            return;
        }
        DeleteShardRequest request = DeleteShardRequest.newBuilder().setConfigNum(num).setShard(shard).build();
        peers.delete(server, request).whenCompleteAsync((reply, error) -> {
            if (error != null || reply.getCode() != ErrorCode.OK || !log.isLeader()) {
                attempts.merge(shard, 1, Integer::sum); // not the leader, or not reachable: the next replica
                deleting.remove(shard);
                return;
            }
            previousDeleted(shard, num);
        }, loop);
    }

    private void previousDeleted(int shard, long num) {
        propose(ShardKvCommand.newBuilder().setPreviousDeleted(ShardRef.newBuilder().setConfigNum(num)
                .setShard(shard))).whenCompleteAsync((applied, proposeError) -> {
                    deleting.remove(shard);
                    attempts.remove(shard);
                }, loop);
    }

    /** The replica to ask next about {@code shard}: each failed attempt moves on to the next one. */
    private String pick(List<String> servers, int shard) {
        if (servers.isEmpty()) {
            return null;
        }
        return servers.get(Math.floorMod(attempts.getOrDefault(shard, 0) + shard, servers.size()));
    }

    private CompletableFuture<byte[]> propose(ShardKvCommand.Builder command) {
        try {
            return log.propose(command.setTimestampMillis(clock.millis()).build().toByteArray());
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }
}
