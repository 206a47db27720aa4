package io.raftkv.raft.service;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.search.Search;
import io.raftkv.common.json.JsonWriter;
import io.raftkv.common.metrics.GroupMeters;
import io.raftkv.common.status.StatusPage;
import io.raftkv.proto.members.Member;
import io.raftkv.raft.api.NodeStatus;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.RaftStatus;
import io.raftkv.raft.core.Role;
import io.raftkv.raft.runtime.RaftNode;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The status page of a replica process (kv-server, a shard group replica, the shard controller): for every Raft
 * group it runs, this node's role and term, the leader, commit and applied index, the log, snapshots, requests per
 * second and their latency from the node's own meters, each member's lag (on the leader), and whatever the group's
 * service adds ({@link GroupDetails}: a shard group's shards, say).
 */
public final class ReplicaStatus implements StatusPage {
    /** What a group's service adds to its part of the page: members written into the group's JSON object. */
    @FunctionalInterface
    public interface GroupDetails {
        void write(JsonWriter json);
    }

    /** One group as this node sees it, gathered for one poll. */
    record GroupState(String group, NodeStatus status, Membership membership, RaftStatus raft, long firstIndex,
            long logBytes, long snapshotsSent, long snapshotsInstalled, Requests requests) {}

    /** Requests served since the previous poll: how many per second, and their mean latency. */
    record Requests(double perSecond, double meanMillis) {}

    private static final String HTML = StatusPage.load(ReplicaStatus.class, "replica-status.html");
    private static final long RAFT_STATUS_TIMEOUT_MILLIS = 500;

    private final String nodeId;
    private final String address;
    private final List<RaftNode> nodes;
    private final MeterRegistry registry;
    private final Map<String, GroupDetails> details = new ConcurrentHashMap<>();
    private final Map<String, RequestCount> lastCounts = new ConcurrentHashMap<>();

    private record RequestCount(long count, double totalNanos, long atNanos) {}

    ReplicaStatus(String nodeId, String address, List<RaftNode> nodes, MeterRegistry registry) {
        this.nodeId = nodeId;
        this.address = address;
        this.nodes = nodes;
        this.registry = registry;
    }

    void addDetails(String group, GroupDetails groupDetails) {
        details.put(group, groupDetails);
    }

    @Override
    public String html() {
        return HTML;
    }

    @Override
    public String json() {
        JsonWriter json = new JsonWriter().beginObject().field("node", nodeId).field("address", address)
                .field("time_ms", System.currentTimeMillis()).name("groups").beginArray();
        for (RaftNode node : nodes) {
            write(json, observe(node), details.get(node.group()));
        }
        return json.endArray().endObject().toString();
    }

    private GroupState observe(RaftNode node) {
        RaftStatus raft = null;
        try {
            raft = node.raftStatus().get(RAFT_STATUS_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            // A node that is stopping, or too busy to answer now: the page shows it without member progress.
        }
        Gauge logBytes = registry.find("raft.log.bytes").tag(GroupMeters.TAG, node.group()).gauge();
        return new GroupState(node.group(), node.status(), node.configuration(), raft, node.firstIndex(),
                logBytes == null ? -1 : (long) logBytes.value(), node.snapshotsSent(), node.snapshotsInstalled(),
                requests(node.group()));
    }

    /** Every {@code *.requests} timer of the group (the services' own), since the previous poll. */
    private Requests requests(String group) {
        long count = 0;
        double total = 0;
        for (Timer timer : Search.in(registry).tag(GroupMeters.TAG, group).timers()) {
            if (timer.getId().getName().endsWith(".requests")) {
                count += timer.count();
                total += timer.totalTime(TimeUnit.NANOSECONDS);
            }
        }
        long now = System.nanoTime();
        RequestCount previous = lastCounts.put(group, new RequestCount(count, total, now));
        if (previous == null || now == previous.atNanos() || count < previous.count()) {
            return new Requests(0, 0);
        }
        long served = count - previous.count();
        return new Requests(served / ((now - previous.atNanos()) / 1e9),
                served == 0 ? 0 : (total - previous.totalNanos()) / served / 1e6);
    }

    /** One group's JSON object: what the page shows of it. */
    static void write(JsonWriter json, GroupState state, GroupDetails extra) {
        NodeStatus status = state.status();
        json.beginObject()
                .field("group", state.group())
                .field("role", status.role().name().toLowerCase(Locale.ROOT))
                .field("term", status.term())
                .field("leader", status.leaderId() == null ? "" : status.leaderId())
                .field("leader_address", status.leaderAddress() == null ? "" : status.leaderAddress())
                .field("commit_index", status.commitIndex())
                .field("applied_index", status.appliedIndex())
                .field("first_index", state.firstIndex())
                .field("snapshot_index", Math.max(0, state.firstIndex() - 1))
                .field("last_index", status.lastIndex())
                .field("last_contact_ms", status.lastContactMillisAgo())
                .field("log_bytes", state.logBytes())
                .field("snapshots_sent", state.snapshotsSent())
                .field("snapshots_installed", state.snapshotsInstalled())
                .field("requests_per_second", state.requests().perSecond())
                .field("request_mean_ms", state.requests().meanMillis());
        json.name("members").beginArray();
        RaftStatus raft = state.raft();
        boolean leading = status.role() == Role.LEADER && raft != null;
        for (Member member : MemberService.members(state.membership(), leading ? raft : null)) {
            RaftStatus.FollowerProgress progress = leading ? raft.followers().get(member.getId()) : null;
            json.beginObject()
                    .field("id", member.getId())
                    .field("address", member.getAddress())
                    .field("role", member.getLearner() ? "learner" : "voter")
                    .field("leader", member.getId().equals(status.leaderId()));
            if (leading) {
                boolean self = member.getId().equals(raft.id());
                json.field("match", self ? status.lastIndex() : progress == null ? 0 : progress.match())
                        .field("lag", member.getLag())
                        .field("state", self ? "leader" : progress == null ? "unknown"
                                : progress.state().toLowerCase(Locale.ROOT));
            }
            json.endObject();
        }
        json.endArray();
        if (extra != null) {
            extra.write(json);
        }
        json.endObject();
    }
}
