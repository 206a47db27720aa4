package io.raftkv.kv.shardctrler;

import io.raftkv.common.cli.HostPort;
import io.raftkv.proto.shardctrler.Config;
import io.raftkv.proto.shardctrler.JoinRequest;
import io.raftkv.proto.shardctrler.LeaveRequest;
import io.raftkv.proto.shardctrler.MoveRequest;
import io.raftkv.proto.shardctrler.ReplicaGroup;
import io.raftkv.proto.shardctrler.SetServersRequest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The controller's rules: what configuration a Join, Leave, Move or SetServers makes from the latest one, or why it is refused.
 * Pure functions of their arguments (every replica applies them to the same log and must make the same bytes).
 *
 * <p>The checks come in two parts. {@link #checkJoin(JoinRequest, int)} and its siblings need only the request and the
 * number of shards, so the front end runs them before proposing; {@link #join}, {@link #leave} and {@link #move} run
 * them again (a log entry may come from an older front end) and add the checks against the latest configuration.
 */
public final class ConfigChanges {
    /** The most groups one Join may add, and the most servers a group may list: keeps one entry small. */
    public static final int MAX_GROUPS_PER_CHANGE = 1_000;
    public static final int MAX_SERVERS_PER_GROUP = 100;

    private ConfigChanges() {}

    /** What a change made: the new configuration, or (with {@code config} null) why nothing changed. */
    public record Outcome(Config config, String invalid) {
        static Outcome made(Config config) {
            return new Outcome(config, null);
        }

        static Outcome refused(String why) {
            return new Outcome(null, why);
        }

        public boolean isInvalid() {
            return invalid != null;
        }
    }

    /** Configuration 0: no groups, every shard on group 0 (none). */
    public static Config initial(int shards) {
        if (shards < 1) {
            throw new IllegalArgumentException("the number of shards must be at least 1, not " + shards);
        }
        Config.Builder config = Config.newBuilder().setNum(0);
        for (int i = 0; i < shards; i++) {
            config.addShards(0);
        }
        return config.build();
    }

    // ---- checks on the request alone

    /** Why {@code request} can never be applied, or null. */
    public static String checkJoin(JoinRequest request) {
        return checkGroups("a join", "add", request.getGroupsList());
    }

    /** Why {@code request} can never be applied, or null. */
    public static String checkSetServers(SetServersRequest request) {
        return checkGroups("a set-servers", "change", request.getGroupsList());
    }

    /** The groups a join or set-servers lists: valid ids, each once, each with 1 to 100 distinct servers. */
    private static String checkGroups(String change, String verb, List<ReplicaGroup> listed) {
        if (listed.isEmpty()) {
            return change + " needs at least one group";
        }
        if (listed.size() > MAX_GROUPS_PER_CHANGE) {
            return change + " may " + verb + " at most " + MAX_GROUPS_PER_CHANGE + " groups, not " + listed.size();
        }
        Set<Long> seen = new HashSet<>();
        for (ReplicaGroup group : listed) {
            String bad = checkGid(group.getGid());
            if (bad != null) {
                return bad;
            }
            if (!seen.add(group.getGid())) {
                return "group " + group.getGid() + " is listed twice";
            }
            if (group.getServersCount() == 0) {
                return "group " + group.getGid() + " has no servers";
            }
            if (group.getServersCount() > MAX_SERVERS_PER_GROUP) {
                return "group " + group.getGid() + " lists " + group.getServersCount() + " servers; at most "
                        + MAX_SERVERS_PER_GROUP + " are allowed";
            }
            Set<String> servers = new HashSet<>();
            for (String server : group.getServersList()) {
                try {
                    HostPort.parse(server);
                } catch (IllegalArgumentException e) {
                    return "group " + group.getGid() + ": " + e.getMessage();
                }
                if (!servers.add(server)) {
                    return "group " + group.getGid() + " lists server " + server + " twice";
                }
            }
        }
        return null;
    }

    /** Why {@code request} can never be applied, or null. */
    public static String checkLeave(LeaveRequest request) {
        if (request.getGidsCount() == 0) {
            return "a leave needs at least one group id";
        }
        if (request.getGidsCount() > MAX_GROUPS_PER_CHANGE) {
            return "a leave may remove at most " + MAX_GROUPS_PER_CHANGE + " groups, not " + request.getGidsCount();
        }
        Set<Long> seen = new HashSet<>();
        for (long gid : request.getGidsList()) {
            String bad = checkGid(gid);
            if (bad != null) {
                return bad;
            }
            if (!seen.add(gid)) {
                return "group " + gid + " is listed twice";
            }
        }
        return null;
    }

    /** Why {@code request} can never be applied with {@code shards} shards, or null. */
    public static String checkMove(MoveRequest request, int shards) {
        if (request.getShard() < 0 || request.getShard() >= shards) {
            return "shard " + request.getShard() + " is out of range: shards are 0.." + (shards - 1);
        }
        return checkGid(request.getGid());
    }

    private static String checkGid(long gid) {
        return gid <= 0 ? "group id " + gid + " is not valid: group ids are positive (0 means no group)" : null;
    }

    // ---- the changes

    /** Adds the groups and rebalances; refused if a group is already present. */
    public static Outcome join(Config latest, JoinRequest request) {
        String invalid = checkJoin(request);
        if (invalid != null) {
            return Outcome.refused(invalid);
        }
        SortedMap<Long, ReplicaGroup> groups = groupsOf(latest);
        for (ReplicaGroup group : request.getGroupsList()) {
            if (groups.containsKey(group.getGid())) {
                return Outcome.refused("group " + group.getGid() + " has already joined (configuration "
                        + latest.getNum() + ")");
            }
        }
        for (ReplicaGroup group : request.getGroupsList()) {
            groups.put(group.getGid(), group);
        }
        return Outcome.made(next(latest, Rebalancer.rebalance(shardsOf(latest), new TreeSet<>(groups.keySet())),
                groups));
    }

    /** Removes the groups and rebalances their shards onto the rest; refused if a group is not present. */
    public static Outcome leave(Config latest, LeaveRequest request) {
        String invalid = checkLeave(request);
        if (invalid != null) {
            return Outcome.refused(invalid);
        }
        SortedMap<Long, ReplicaGroup> groups = groupsOf(latest);
        for (long gid : request.getGidsList()) {
            if (!groups.containsKey(gid)) {
                return Outcome.refused("group " + gid + " is not in configuration " + latest.getNum());
            }
        }
        for (long gid : request.getGidsList()) {
            groups.remove(gid);
        }
        return Outcome.made(next(latest, Rebalancer.rebalance(shardsOf(latest), new TreeSet<>(groups.keySet())),
                groups));
    }

    /** Replaces present groups' server lists; every shard stays where it is. */
    public static Outcome setServers(Config latest, SetServersRequest request) {
        String invalid = checkSetServers(request);
        if (invalid != null) {
            return Outcome.refused(invalid);
        }
        SortedMap<Long, ReplicaGroup> groups = groupsOf(latest);
        for (ReplicaGroup group : request.getGroupsList()) {
            if (!groups.containsKey(group.getGid())) {
                return Outcome.refused("group " + group.getGid() + " is not in configuration " + latest.getNum()
                        + " (a new group joins with 'join')");
            }
        }
        for (ReplicaGroup group : request.getGroupsList()) {
            groups.put(group.getGid(), group);
        }
        return Outcome.made(next(latest, shardsOf(latest), groups));
    }

    /** Gives one shard to one present group, without rebalancing; always makes a new configuration. */
    public static Outcome move(Config latest, MoveRequest request) {
        String invalid = checkMove(request, latest.getShardsCount());
        if (invalid != null) {
            return Outcome.refused(invalid);
        }
        SortedMap<Long, ReplicaGroup> groups = groupsOf(latest);
        if (!groups.containsKey(request.getGid())) {
            return Outcome.refused("group " + request.getGid() + " is not in configuration " + latest.getNum());
        }
        long[] shards = shardsOf(latest);
        shards[request.getShard()] = request.getGid();
        return Outcome.made(next(latest, shards, groups));
    }

    // ---- reading a configuration

    /** The shard -> gid array of {@code config}. */
    public static long[] shardsOf(Config config) {
        long[] shards = new long[config.getShardsCount()];
        for (int i = 0; i < shards.length; i++) {
            shards[i] = config.getShards(i);
        }
        return shards;
    }

    /** The groups of {@code config}, by gid. */
    public static SortedMap<Long, ReplicaGroup> groupsOf(Config config) {
        SortedMap<Long, ReplicaGroup> groups = new TreeMap<>();
        for (ReplicaGroup group : config.getGroupsList()) {
            groups.put(group.getGid(), group);
        }
        return groups;
    }

    /** How many shards each group of {@code config} holds (every present group, 0 included). */
    public static SortedMap<Long, Integer> shardCounts(Config config) {
        SortedMap<Long, Integer> counts = new TreeMap<>();
        for (ReplicaGroup group : config.getGroupsList()) {
            counts.put(group.getGid(), 0);
        }
        for (long gid : config.getShardsList()) {
            if (gid != 0) {
                counts.merge(gid, 1, Integer::sum);
            }
        }
        return counts;
    }

    private static Config next(Config latest, long[] shards, SortedMap<Long, ReplicaGroup> groups) {
        List<Long> assignment = new ArrayList<>(shards.length);
        for (long gid : shards) {
            assignment.add(gid);
        }
        return Config.newBuilder()
                .setNum(latest.getNum() + 1)
                .addAllShards(assignment)
                .addAllGroups(groups.values()) // ascending gid: the same bytes on every replica
                .build();
    }
}
