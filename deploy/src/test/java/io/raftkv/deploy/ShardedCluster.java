package io.raftkv.deploy;

import io.raftkv.common.cli.HostPort;
import io.raftkv.common.client.ClientOptions;
import io.raftkv.common.shardctrler.ControllerClerk;
import io.raftkv.common.shardctrler.KeyShards;
import io.raftkv.common.shardctrler.ShardConfig;
import io.raftkv.kv.client.AddressMap;
import io.raftkv.kv.client.Clerk;
import io.raftkv.kv.client.KvClient;
import io.raftkv.kv.client.KvInvalidArgumentException;
import io.raftkv.kv.client.MembersClient;
import io.raftkv.kv.client.NodeReport;
import io.raftkv.kv.client.ShardedClerk;
import io.raftkv.proto.kv.Role;
import io.raftkv.proto.kv.ShardState;
import io.raftkv.proto.kv.ShardStatus;
import io.raftkv.proto.kv.StatusReply;
import io.raftkv.testkit.Eventually;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The sharded store in containers ({@link ContainerNodes}): a shard controller of three nodes (c1-c3) and replica
 * groups of three kv-servers (g100-1..g100-3, ...), from the project image on one network. Clients in the test JVM
 * reach the groups through an {@link AddressMap} from the in-network addresses the controller hands out to the
 * published loopback ports. Observes leaders, shard states and the keys each replica holds.
 */
final class ShardedCluster implements ChaosTarget {
    static final String CONTROLLER = "shardctrler";
    private static final String JAVA_OPTIONS = "-Xmx128m -XX:+UseSerialGC";
    private static final Duration STATUS_TIMEOUT = Duration.ofSeconds(1);
    private static final ClientOptions ADMIN = ClientOptions.DEFAULT.withTimeout(Duration.ofSeconds(60));

    private final ContainerNodes nodes;
    private final int shards;
    private final List<String> controllerIds = new ArrayList<>();
    private final Map<Long, List<String>> groupIds = new LinkedHashMap<>();
    /** One single-node Clerk per replica for status polls, so a poll can tell the replicas apart. */
    private final Map<String, Clerk> statusClerks = new java.util.concurrent.ConcurrentHashMap<>();
    private AddressMap addressMap = AddressMap.NONE;
    private ControllerClerk admin;

    private ShardedCluster(ContainerNodes nodes, int shards) {
        this.nodes = nodes;
        this.shards = shards;
    }

    /** Starts the controller and the groups {@code gids} (none joined yet) and waits for a leader in each. */
    static ShardedCluster start(String label, int shards, List<Long> gids) {
        ShardedCluster cluster = new ShardedCluster(new ContainerNodes(label), shards);
        try {
            cluster.create(gids);
            cluster.nodes.start(cluster.nodes.ids());
            cluster.admin = new ControllerClerk(cluster.controllerAddresses(), ADMIN);
            cluster.awaitControllerLeader(ContainerNodes.START_TIMEOUT);
            for (long gid : gids) {
                cluster.awaitGroupLeader(gid, Set.of(), ContainerNodes.START_TIMEOUT);
            }
            return cluster;
        } catch (RuntimeException | Error e) {
            cluster.close();
            throw e;
        }
    }

    private void create(List<Long> gids) {
        for (int i = 1; i <= 3; i++) {
            controllerIds.add("c" + i);
        }
        for (String id : controllerIds) {
            nodes.add(id, CONTROLLER, JAVA_OPTIONS, node(List.of("shardctrler"), id, controllerIds,
                    List.of("--shards", String.valueOf(shards))));
        }
        for (long gid : gids) {
            List<String> ids = new ArrayList<>();
            for (int i = 1; i <= 3; i++) {
                ids.add("g" + gid + "-" + i);
            }
            groupIds.put(gid, ids);
            for (String id : ids) {
                nodes.add(id, "kv-server", JAVA_OPTIONS, replicaCommand(gid, id, ids, List.of()));
            }
        }
        mapAddresses();
    }

    private List<String> replicaCommand(long gid, String id, List<String> peers, List<String> extra) {
        String controllerInside = controllerIds.stream().map(c -> ContainerNodes.inside(c).toString())
                .collect(Collectors.joining(","));
        return node(List.of("kv-server", "--group", String.valueOf(gid), "--controller", controllerInside), id, peers,
                extra);
    }

    /** How the test JVM reaches each replica's in-network address (for clients made from now on). */
    private void mapAddresses() {
        StringBuilder map = new StringBuilder();
        for (List<String> ids : groupIds.values()) {
            for (String id : ids) {
                map.append(map.isEmpty() ? "" : ",").append(ContainerNodes.inside(id)).append('=')
                        .append(nodes.client(id));
            }
        }
        addressMap = AddressMap.parse(map.toString());
    }

    /**
     * Replaces replica {@code dead} of group {@code gid} as an operator would after losing its machine: its container
     * is removed with its data, a new replica starts with --join, is added as a learner, promoted once it has caught
     * up, the dead one is removed from the group, and the controller is given the group's new servers
     * (set-servers). Returns the new replica's id.
     */
    String replaceReplica(long gid, String dead) {
        List<String> ids = groupIds.get(gid);
        nodes.remove(dead);
        String replacement = "g" + gid + "-" + (Integer.parseInt(ids.getLast().substring(ids.getLast()
                .lastIndexOf('-') + 1)) + 1);
        List<String> peers = new ArrayList<>(ids);
        peers.remove(dead);
        peers.add(replacement);
        nodes.add(replacement, "kv-server", JAVA_OPTIONS, replicaCommand(gid, replacement, peers,
                List.of("--join")));
        nodes.start(List.of(replacement));
        List<HostPort> reachable = peers.stream().map(nodes::client).toList();
        try (MembersClient members = new MembersClient(reachable, ADMIN)) {
            members.addLearner(replacement, ContainerNodes.inside(replacement));
            Eventually.await(replacement + " promoted", ContainerNodes.START_TIMEOUT, () -> {
                try {
                    members.promote(replacement);
                    return true;
                } catch (KvInvalidArgumentException e) {
                    return e.getMessage().contains("already a voter"); // else still catching up
                }
            });
            members.remove(dead);
        }
        groupIds.put(gid, peers);
        mapAddresses();
        admin.setServers(Map.of(gid, peers.stream().map(id -> ContainerNodes.inside(id).toString()).toList()));
        return replacement;
    }

    private static List<String> node(List<String> role, String id, List<String> group, List<String> extra) {
        List<String> command = new ArrayList<>(role);
        command.addAll(List.of("--id", id, "--peers", group.stream().map(peer -> peer + "="
                + ContainerNodes.inside(peer)).collect(Collectors.joining(",")), "--listen",
                "0.0.0.0:" + ContainerNodes.PORT, "--data-dir", "/var/lib/raftkv", "--metrics-port",
                String.valueOf(ContainerNodes.METRICS_PORT)));
        command.addAll(extra);
        return command;
    }

    ContainerNodes nodes() {
        return nodes;
    }

    int shards() {
        return shards;
    }

    List<String> controllerIds() {
        return List.copyOf(controllerIds);
    }

    List<Long> gids() {
        return List.copyOf(groupIds.keySet());
    }

    List<String> groupIds(long gid) {
        return groupIds.get(gid);
    }

    List<HostPort> controllerAddresses() {
        return controllerIds.stream().map(nodes::client).toList();
    }

    /** The controller's clerk for joins, leaves and queries (retrying for up to a minute). */
    ControllerClerk admin() {
        return admin;
    }

    ShardConfig latest() {
        return admin.query(ControllerClerk.LATEST);
    }

    /** Joins {@code gids} under the addresses their peers use inside the network. */
    long join(List<Long> gids) {
        Map<Long, List<HostPort>> groups = new LinkedHashMap<>();
        for (long gid : gids) {
            groups.put(gid, groupIds.get(gid).stream().map(ContainerNodes::inside).toList());
        }
        return admin.join(groups);
    }

    @Override
    public KvClient client(ClientOptions options) {
        return ShardedClerk.connect(controllerAddresses(), options, addressMap);
    }

    @Override
    public String recentLogs(int lines) {
        return nodes.recentLogs(lines);
    }

    // ---- observing ----

    /** Node {@code id}'s status (a group replica), or empty when it does not answer within a second. */
    Optional<StatusReply> status(String id) {
        Clerk clerk = statusClerks.computeIfAbsent(id, node -> Clerk.connect(List.of(nodes.client(node)),
                ClientOptions.DEFAULT.withTimeout(STATUS_TIMEOUT).withAttemptTimeout(STATUS_TIMEOUT)));
        NodeReport report = clerk.status().getFirst();
        return Optional.ofNullable(report.status());
    }

    /** Whether node {@code id} answers now: a replica its status request, a controller node its metrics. */
    boolean answers(String id) {
        if (controllerIds.contains(id)) {
            return MetricsScrape.tryOf("http://" + nodes.metrics(id).target() + "/metrics", STATUS_TIMEOUT)
                    .isPresent();
        }
        return status(id).isPresent();
    }

    /** The replica of group {@code gid} outside {@code ignored} that reports itself leader (highest term), if any. */
    Optional<String> groupLeader(long gid, Set<String> ignored) {
        String leader = null;
        long term = -1;
        for (String id : groupIds.get(gid)) {
            if (ignored.contains(id)) {
                continue;
            }
            Optional<StatusReply> status = status(id);
            if (status.isPresent() && status.get().getRole() == Role.LEADER && status.get().getTerm() > term) {
                leader = id;
                term = status.get().getTerm();
            }
        }
        return Optional.ofNullable(leader);
    }

    String awaitGroupLeader(long gid, Set<String> ignored, Duration timeout) {
        return Eventually.awaitValue("a leader of group " + gid + " outside " + ignored, timeout,
                () -> groupLeader(gid, ignored).orElse(null));
    }

    /** The controller node outside {@code ignored} whose metrics say it leads (highest term), if any. */
    Optional<String> controllerLeader(Set<String> ignored) {
        String leader = null;
        double term = -1;
        for (String id : controllerIds) {
            if (ignored.contains(id)) {
                continue;
            }
            Optional<MetricsScrape> scrape = MetricsScrape.tryOf("http://" + nodes.metrics(id).target() + "/metrics",
                    STATUS_TIMEOUT);
            String group = "group=\"" + CONTROLLER + "\"";
            if (scrape.isPresent() && scrape.get().sum("raft_role", group) == 3
                    && scrape.get().sum("raft_term", group) > term) {
                leader = id;
                term = scrape.get().sum("raft_term", group);
            }
        }
        return Optional.ofNullable(leader);
    }

    String awaitControllerLeader(Duration timeout) {
        return awaitControllerLeader(Set.of(), timeout);
    }

    String awaitControllerLeader(Set<String> ignored, Duration timeout) {
        return Eventually.awaitValue("a controller leader outside " + ignored, timeout,
                () -> controllerLeader(ignored).orElse(null));
    }

    /** Undoes every fault still in place, then waits for every node to answer and every Raft group to lead. */
    void heal() {
        nodes.heal();
        for (String id : nodes.ids()) {
            Eventually.await(id + " answering", ContainerNodes.START_TIMEOUT, () -> answers(id));
        }
        awaitControllerLeader(ContainerNodes.START_TIMEOUT);
        for (long gid : gids()) {
            awaitGroupLeader(gid, Set.of(), ContainerNodes.START_TIMEOUT);
        }
    }

    /** Whether some replica of {@code gid} reports a shard it is pulling. */
    boolean pulling(long gid) {
        for (String id : groupIds.get(gid)) {
            Optional<StatusReply> status = status(id);
            if (status.isPresent() && status.get().getShardsList().stream()
                    .anyMatch(shard -> shard.getState() == ShardState.PULLING)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Waits until every replica of every group has applied configuration {@code latest} with every shard settled:
     * each shard served by exactly the group the configuration names, and no replica holding a key of a shard it
     * does not own (the previous owner deleted it). Fails naming the replicas that are not there yet.
     */
    void awaitSettled(ShardConfig latest, Duration timeout) {
        List<String> behind = new ArrayList<>();
        try {
            Eventually.await("every replica settled in configuration " + latest.num(), timeout, () -> {
                behind.clear();
                for (Map.Entry<Long, List<String>> group : groupIds.entrySet()) {
                    for (String id : group.getValue()) {
                        String problem = unsettled(id, group.getKey(), latest);
                        if (problem != null) {
                            behind.add(problem);
                        }
                    }
                }
                return behind.isEmpty();
            });
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + ": " + behind, e);
        }
    }

    /** Why replica {@code id} of {@code gid} is not settled in {@code latest}, or null when it is. */
    private String unsettled(String id, long gid, ShardConfig latest) {
        Optional<StatusReply> reply = status(id);
        if (reply.isEmpty()) {
            return id + " does not answer";
        }
        StatusReply status = reply.get();
        if (status.getConfigNum() != latest.num()) {
            return id + " is at configuration " + status.getConfigNum();
        }
        for (ShardStatus shard : status.getShardsList()) {
            boolean owner = latest.groupOf(shard.getShard()) == gid;
            ShardState expected = owner ? ShardState.SERVING : ShardState.NOT_OWNED;
            if (shard.getState() != expected) {
                return id + " has shard " + shard.getShard() + " " + shard.getState();
            }
            if (!owner && shard.getKeys() != 0) {
                return id + " still holds " + shard.getKeys() + " keys of shard " + shard.getShard()
                        + ", which it does not own";
            }
        }
        return null;
    }

    /** {@code count} keys named {@code prefix/<n>}, each in a different shard (count at most the shard count). */
    List<String> keysInDistinctShards(String prefix, int count) {
        Map<Integer, String> byShard = new LinkedHashMap<>();
        for (int n = 0; byShard.size() < count; n++) {
            String key = prefix + "/" + n;
            byShard.putIfAbsent(shardOf(key), key);
        }
        return List.copyOf(byShard.values());
    }

    int shardOf(String key) {
        return KeyShards.shardOf(key.getBytes(StandardCharsets.UTF_8), shards);
    }

    @Override
    public void close() {
        if (admin != null) {
            admin.close();
        }
        statusClerks.values().forEach(Clerk::close);
        nodes.close();
    }
}
