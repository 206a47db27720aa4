package io.raftkv.kv.server.sim;

import static io.raftkv.raft.sim.Scheduler.SECONDS;

import io.raftkv.common.client.ClientOptions;
import io.raftkv.kv.shardctrler.ControllerStateMachine;
import io.raftkv.kv.shardkv.GroupView;
import io.raftkv.kv.shardkv.ShardGroupReplica;
import io.raftkv.raft.api.StateMachine;
import io.raftkv.raft.sim.Scheduler;
import io.raftkv.raft.sim.SimConfig;
import io.raftkv.raft.sim.SimListener;
import io.raftkv.raft.sim.SimNode;
import io.raftkv.raft.sim.Simulation;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;

/**
 * A sharded store on the deterministic Raft simulator: a controller of three nodes (the real
 * {@code ControllerStateMachine} and service) and replica groups of three nodes each (the real
 * {@link ShardGroupReplica}, Kv service, migration service and driver: {@link SimShardServer}), all sharing one
 * virtual clock and one seeded random source, so a seed reproduces a whole run. Clerks ({@link SimClerk} with a
 * {@link SimShardRouter}) reach every node over one simulated client network, and so do the groups' drivers.
 *
 * <p>After every applied entry the cluster checks that no two groups serve one shard in the same configuration.
 */
final class ShardSimCluster implements AutoCloseable {
    static final int SHARDS = 10;
    static final ClientOptions CLERK_OPTIONS = ClientOptions.DEFAULT.withTimeout(Duration.ofSeconds(30))
            .withAttemptTimeout(Duration.ofMillis(500));
    private static final Duration SESSION_TTL = Duration.ofHours(1);
    private static final int PORT = 7000;

    private final long seed;
    private final Path root;
    private final Scheduler scheduler = new Scheduler();
    private final SplittableRandom random;
    private final VirtualClock clock;
    private final Simulation controller;
    private final Map<Long, Simulation> groups = new LinkedHashMap<>();
    private final Map<String, ShardGroupReplica> stores = new HashMap<>();
    private final Map<String, FrontEnds> frontEndsById = new HashMap<>();
    private final ClientNetwork network;
    private final SimCtrlClerk admin;
    private final SimHistory history = new SimHistory();
    private final List<SimClerk> clerks = new ArrayList<>();
    private String violation;

    /**
     * @param gids the replica groups (none joined yet)
     * @param maxRaftStateBytes the groups compact their logs past this many bytes (0: never)
     */
    ShardSimCluster(long seed, List<Long> gids, long maxRaftStateBytes, boolean unreliable) throws IOException {
        this.seed = seed;
        this.random = new SplittableRandom(seed);
        this.root = Files.createTempDirectory(SimSettings.dataDirectory(), "raftkv-shardsim-");
        this.clock = new VirtualClock(scheduler);
        this.network = new ClientNetwork(scheduler, random, this::frontEnd);
        network.unreliable(unreliable);
        try {
            this.controller = new Simulation(SimConfig.builder(3, seed).ids(List.of("c1", "c2", "c3"))
                    .stateMachines(this::openController).build(), scheduler, random);
            track(controller, new FrontEnds(controller, node -> new SimCtrlServer(node, clock)));
            for (long gid : gids) {
                List<String> ids = List.of("g" + gid + "-1", "g" + gid + "-2", "g" + gid + "-3");
                SimConfig.Builder config = SimConfig.builder(3, seed).ids(ids)
                        .stateMachines(id -> openGroupState(gid, id));
                if (maxRaftStateBytes > 0) {
                    config.snapshotLogBytes(maxRaftStateBytes);
                }
                Simulation group = new Simulation(config.build(), scheduler, random);
                groups.put(gid, group);
                track(group, new FrontEnds(group, node -> new SimShardServer(group, node, stores.get(node.id()),
                        new SimGroupPeers(scheduler, network, newControllerClerk()), clock)));
                group.addListener(new SimListener() {
                    @Override
                    public void onApplied(SimNode node, StateMachine.Command command, byte[] reply) {
                        checkOneGroupPerShard();
                    }
                });
            }
            for (Simulation sim : all()) {
                sim.network().unreliable(unreliable);
            }
            this.admin = newControllerClerk();
        } catch (RuntimeException | Error e) {
            SimSettings.deleteRecursively(root);
            throw e;
        }
    }

    private void track(Simulation sim, FrontEnds frontEnds) {
        for (String id : sim.ids()) {
            frontEndsById.put(id, frontEnds);
        }
    }

    /**
     * The running front end at {@code address}: a node id, or (as configurations list a group's servers) the id with
     * a port, {@code g100-1:7000}.
     */
    private SimFrontEnd frontEnd(String address) {
        int colon = address.indexOf(':');
        String id = colon < 0 ? address : address.substring(0, colon);
        FrontEnds frontEnds = frontEndsById.get(id);
        return frontEnds == null ? null : frontEnds.get(id);
    }

    private StateMachine openController(String id) {
        try {
            return ControllerStateMachine.open(root.resolve(id), SHARDS, SESSION_TTL);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private StateMachine openGroupState(long gid, String id) {
        try {
            ShardGroupReplica store = ShardGroupReplica.open(root.resolve(id), gid, SESSION_TTL);
            stores.put(id, store);
            return store.machine();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private List<Simulation> all() {
        List<Simulation> all = new ArrayList<>();
        all.add(controller);
        all.addAll(groups.values());
        return all;
    }

    SimCtrlClerk newControllerClerk() {
        return new SimCtrlClerk(scheduler, random, network, controller.ids());
    }

    Scheduler scheduler() {
        return scheduler;
    }

    SplittableRandom random() {
        return random;
    }

    SimHistory history() {
        return history;
    }

    long seed() {
        return seed;
    }

    /** The servers of group {@code gid} as it joins: its node ids with a port, which the controller requires. */
    List<String> servers(long gid) {
        return groups.get(gid).ids().stream().map(id -> id + ":" + PORT).toList();
    }

    /** A new clerk of the sharded store; its operations are recorded in the history. */
    SimClerk newClerk() {
        SimClerk clerk = new SimClerk(clerks.size(), new SimShardRouter(newControllerClerk()), CLERK_OPTIONS,
                scheduler, random, network, history);
        clerks.add(clerk);
        return clerk;
    }

    // ---- the controller ----

    void join(long... gids) {
        Map<Long, List<String>> join = new LinkedHashMap<>();
        for (long gid : gids) {
            join.put(gid, servers(gid));
        }
        await(admin.join(join), "join " + join.keySet());
    }

    void leave(long... gids) {
        List<Long> leave = new ArrayList<>();
        for (long gid : gids) {
            leave.add(gid);
        }
        await(admin.leave(leave), "leave " + leave);
    }

    /** The latest configuration's owner of each shard. */
    List<Long> owners() {
        return latest().getShardsList();
    }

    io.raftkv.proto.shardctrler.Config latest() {
        SimCtrlClerk.Call query = admin.query(-1);
        await(query, "query");
        return SimCtrlClerk.config(query);
    }

    private void await(SimCtrlClerk.Call call, String what) {
        if (!runUntil(call::done, 30 * SECONDS)) {
            throw fail("the controller did not answer " + what + " within 30 s");
        }
        io.raftkv.proto.service.ErrorCode code = call.reply() instanceof io.raftkv.proto.shardctrler.ChangeReply change
                ? change.getCode() : ((io.raftkv.proto.shardctrler.QueryReply) call.reply()).getCode();
        if (code != io.raftkv.proto.service.ErrorCode.OK) {
            throw fail("the controller refused " + what + ": " + call.reply());
        }
    }

    // ---- faults ----

    void crashGroup(long gid) {
        for (String id : groups.get(gid).ids()) {
            groups.get(gid).crash(id);
        }
    }

    void restartGroup(long gid) {
        for (String id : groups.get(gid).ids()) {
            groups.get(gid).restart(id);
        }
    }

    /** Whether some replica of {@code gid} that is up is pulling a shard now. */
    boolean pulling(long gid) {
        for (SimNode node : groups.get(gid).nodes()) {
            if (node.isUp() && stores.get(node.id()).view().count(io.raftkv.proto.kv.ShardState.PULLING) > 0) {
                return true;
            }
        }
        return false;
    }

    /** Crashes the replica of {@code gid} that leads now, if one does. */
    void crashLeader(long gid) {
        groups.get(gid).leader().ifPresent(leader -> groups.get(gid).crash(leader.id()));
    }

    void crash(long gid, String id) {
        groups.get(gid).crash(id);
    }

    void restart(long gid, String id) {
        groups.get(gid).restart(id);
    }

    // ---- time and checks ----

    boolean runUntil(BooleanSupplier condition, long micros) {
        try {
            boolean held = controller.runUntil(() -> violation != null || condition.getAsBoolean(), micros);
            if (violation != null) {
                throw fail(violation);
            }
            return held;
        } catch (ScenarioFailure e) {
            throw e;
        } catch (RuntimeException | AssertionError e) {
            throw fail(e.toString(), e);
        }
    }

    void runFor(long micros) {
        runUntil(() -> false, micros);
    }

    /** Runs until every call is done; fails after {@code micros}. */
    void awaitAll(List<ClerkCall> calls, long micros, String what) {
        if (!runUntil(() -> calls.stream().allMatch(ClerkCall::done), micros)) {
            throw fail(what + ": " + calls.stream().filter(c -> !c.done()).count() + " of " + calls.size()
                    + " operations did not finish within " + micros / SECONDS + " s");
        }
    }

    /** Every replica that is up has applied configuration {@code num} with every shard settled. */
    boolean settledAt(long num) {
        for (Simulation group : groups.values()) {
            for (SimNode node : group.nodes()) {
                if (!node.isUp()) {
                    continue;
                }
                GroupView view = stores.get(node.id()).view();
                if (view.configNum() != num || !view.settled()) {
                    return false;
                }
            }
        }
        return true;
    }

    /** The bytes of keys and values every replica that is up stores, summed (challenge 1's bound). */
    long storedBytes() {
        long total = 0;
        for (Simulation group : groups.values()) {
            for (SimNode node : group.nodes()) {
                if (node.isUp()) {
                    total += stores.get(node.id()).storedBytes();
                }
            }
        }
        return total;
    }

    /** The largest persisted Raft state among the groups' replicas, in bytes (the lab's LogSize). */
    long largestRaftState() {
        long largest = 0;
        for (Simulation group : groups.values()) {
            for (SimNode node : group.nodes()) {
                largest = Math.max(largest, node.storage().sizeInBytes());
            }
        }
        return largest;
    }

    private void checkOneGroupPerShard() {
        Map<String, Long> servedBy = new HashMap<>();
        for (Map.Entry<Long, Simulation> group : groups.entrySet()) {
            for (SimNode node : group.getValue().nodes()) {
                ShardGroupReplica store = node.isUp() ? stores.get(node.id()) : null;
                if (store == null) {
                    continue;
                }
                GroupView view = store.view();
                for (int shard = 0; shard < view.shardCount(); shard++) {
                    if (!view.serves(shard)) {
                        continue;
                    }
                    Long other = servedBy.putIfAbsent(view.configNum() + "/" + shard, group.getKey());
                    if (other != null && other != group.getKey() && violation == null) {
                        violation = "groups " + other + " and " + group.getKey() + " both serve shard " + shard
                                + " in configuration " + view.configNum();
                    }
                }
            }
        }
    }

    ScenarioFailure fail(String message) {
        return fail(message, null);
    }

    private ScenarioFailure fail(String message, Throwable cause) {
        StringBuilder states = new StringBuilder();
        for (Map.Entry<Long, Simulation> group : groups.entrySet()) {
            for (SimNode node : group.getValue().nodes()) {
                ShardGroupReplica store = node.isUp() ? stores.get(node.id()) : null;
                states.append("\n  ").append(node.id()).append(store == null ? " down" : " at configuration "
                        + store.view().configNum() + " " + describe(store.view()));
            }
        }
        return new ScenarioFailure("seed " + seed + " (re-run with -Draftkv.kvsim.seed=" + seed + "): " + message
                + states + "\n" + controller.describe(), cause);
    }

    private static String describe(GroupView view) {
        StringBuilder out = new StringBuilder();
        for (int shard = 0; shard < view.shardCount(); shard++) {
            out.append(shard == 0 ? "" : " ").append(view.stateOf(shard).name().charAt(0));
        }
        return out.toString();
    }

    static final class ScenarioFailure extends AssertionError {
        ScenarioFailure(String message, Throwable cause) {
            super(message, cause);
        }
    }

    @Override
    public void close() {
        try {
            for (Simulation sim : all()) {
                for (SimNode node : sim.nodes()) {
                    if (node.isUp()) {
                        sim.crash(node.id());
                    }
                }
            }
        } finally {
            SimSettings.deleteRecursively(root);
        }
    }
}
