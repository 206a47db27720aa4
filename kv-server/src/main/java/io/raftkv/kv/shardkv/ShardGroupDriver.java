package io.raftkv.kv.shardkv;

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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves a replica group through configurations, on its leader: every {@link #tick} (100 ms in a server) it
 *
 * <ol>
 *   <li>asks the controller for the configuration after the applied one, once every shard has settled, and proposes
 *       it;
 *   <li>pulls each PULLING shard from a replica of its previous owner, chunk after chunk, each chunk proposed and
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
    private final ShardGroupStore store;
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
    private final PullTimes pullTimes;

    /** Where the driver reports how long each shard took to arrive. */
    public interface PullTimes {
        void record(long nanos);

        PullTimes NONE = nanos -> {};
    }

    public ShardGroupDriver(ShardGroupStore store, Log log, GroupPeers peers, Executor loop, Clock clock,
            PullTimes pullTimes) {
        this.gid = store.gid();
        this.store = store;
        this.log = log;
        this.peers = peers;
        this.loop = loop;
        this.clock = clock;
        this.pullTimes = pullTimes;
    }

    /** One round of work (on the loop thread). */
    public void tick() {
        if (!log.isLeader()) {
            return;
        }
        GroupView view = store.view();
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

    /** Asks the previous owner for the chunk after the last installed one (the applied view says which). */
    private void pullNext(int shard, long num) {
        GroupView view = store.view();
        if (view.configNum() != num || view.stateOf(shard) != ShardState.PULLING || !log.isLeader()) {
            finishPull(shard);
            return;
        }
        long owner = view.previousOwner(shard);
        String server = pick(GroupView.serversOf(view.previous(), owner), shard);
        if (server == null) {
            LOG.warn("group {}: configuration {} names no servers of group {}, which had shard {}", gid,
                    view.previous().getNum(), owner, shard);
            pulling.remove(shard);
            return;
        }
        PullShardRequest request = PullShardRequest.newBuilder().setConfigNum(num).setShard(shard)
                .setAfterKey(view.resumeAfter(shard)).setRequesterGid(gid).build();
        peers.pull(server, request).whenCompleteAsync((reply, error) -> {
            if (error != null || reply.getCode() != ErrorCode.OK
                    || reply.getStatus() != PullShardReply.Status.CHUNK) {
                if (reply != null && reply.getStatus() == PullShardReply.Status.GONE) {
                    LOG.warn("group {}: {} says shard {} of configuration {} is gone (it is at {})", gid, server,
                            shard, num, reply.getConfigNum());
                }
                attempts.merge(shard, 1, Integer::sum); // the next tick asks the next replica
                pulling.remove(shard);
                return;
            }
            InstallChunk chunk = InstallChunk.newBuilder().setConfigNum(num).setShard(shard)
                    .setAfterKey(request.getAfterKey()).addAllEntries(reply.getEntriesList())
                    .setLast(reply.getLast()).addAllSessions(reply.getSessionsList()).build();
            propose(ShardKvCommand.newBuilder().setInstall(chunk)).whenCompleteAsync((applied, proposeError) -> {
                if (proposeError != null) {
                    pulling.remove(shard);
                } else if (chunk.getLast()) {
                    finishPull(shard);
                    Long started = pullStartedNanos.remove(shard);
                    if (started != null) {
                        pullTimes.record(System.nanoTime() - started);
                    }
                } else {
                    pullNext(shard, num);
                }
            }, loop);
        }, loop);
    }

    private void finishPull(int shard) {
        pulling.remove(shard);
        attempts.remove(shard);
    }

    private void askToDelete(int shard, long num) {
        GroupView view = store.view();
        long owner = view.previousOwner(shard);
        String server = pick(GroupView.serversOf(view.previous(), owner), shard);
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
            propose(ShardKvCommand.newBuilder().setPreviousDeleted(ShardRef.newBuilder().setConfigNum(num)
                    .setShard(shard))).whenCompleteAsync((applied, proposeError) -> {
                        deleting.remove(shard);
                        attempts.remove(shard);
                    }, loop);
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
