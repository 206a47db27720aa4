package io.raftkv.raft.runtime;

import io.raftkv.proto.raft.ConfChange;
import io.raftkv.proto.raft.Entry;
import io.raftkv.raft.api.MembershipChangeRefusedException;
import io.raftkv.raft.api.NotLeaderException;
import io.raftkv.raft.api.ProposalLostException;
import io.raftkv.raft.core.EntryId;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.ProposeResult;
import io.raftkv.raft.core.RaftLog;
import io.raftkv.raft.core.RaftStatus;
import io.raftkv.raft.core.RawNode;
import io.raftkv.raft.transport.MessageSink;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's view of its group's members: the membership its log establishes, where each member listens (as the
 * membership records it, or as the node was started with for a member it records no address of), the connections that
 * follow from it, and the one membership change this node proposed as leader until it commits. Owned by the
 * {@link CoreDriver}, on its thread.
 */
final class GroupMembership {
    private static final Logger LOG = LoggerFactory.getLogger(GroupMembership.class);

    private final String selfId;
    /** The addresses the node was started with (its peers flag), by id. */
    private final Map<String, String> configured;
    private final MessageSink sink;
    private final NodeStatusView view;
    private final MembershipMetrics metrics;

    private Membership membership;
    /** Each member's address by id, this node included. */
    private Map<String, String> addresses = Map.of();
    /** Every address this node has known, by id: a removed leader is still answered until its removal commits. */
    private final Map<String, String> known = new LinkedHashMap<>();
    private String leader = "";
    /** The peers the sink was last told to connect to. */
    private Map<String, String> connected;
    private PendingChange pending;

    private record PendingChange(EntryId id, Events.ChangeMembership request) {}

    GroupMembership(String selfId, Map<String, String> configured, MessageSink sink, NodeStatusView view,
            MembershipMetrics metrics) {
        this.selfId = selfId;
        this.configured = Map.copyOf(configured);
        this.sink = sink;
        this.view = view;
        this.metrics = metrics;
        this.known.putAll(configured);
        view.addresses = Map.copyOf(known);
    }

    /**
     * Takes the membership the log establishes now (a change is in effect once appended): connects to members added
     * and lets go of those removed. Call before the messages of a Ready go out, so they can reach a new member.
     */
    void follow(Membership current) {
        if (current == membership || current.equals(membership)) {
            return;
        }
        if (membership != null) {
            LOG.info("{}: membership is now {}", selfId, current);
        }
        membership = current;
        Map<String, String> next = new LinkedHashMap<>();
        for (String member : current.members()) {
            String address = current.addresses().getOrDefault(member, configured.get(member));
            if (address != null) {
                next.put(member, address);
            } else {
                LOG.warn("{}: no address is known for member {}; it cannot be reached", selfId, member);
            }
        }
        addresses = Map.copyOf(next);
        known.putAll(addresses);
        view.addresses = Map.copyOf(known);
        view.membership = current;
        metrics.membershipChanged(current);
        connect();
    }

    /**
     * The leader this node follows now ("" if none). It stays connected even when it is not a member: a leader that
     * removes itself leads until its removal commits, and needs the acknowledgements that commit it.
     */
    void leaderIs(String leaderId) {
        if (!leaderId.equals(leader)) {
            leader = leaderId;
            connect();
        }
    }

    private void connect() {
        Map<String, String> peers = new LinkedHashMap<>(addresses);
        if (!leader.isEmpty() && !peers.containsKey(leader) && known.containsKey(leader)) {
            peers.put(leader, known.get(leader));
        }
        if (!peers.equals(connected)) {
            connected = Map.copyOf(peers);
            sink.connect(connected);
        }
    }

    /** The address of node {@code id} to tell a client, or "" if none is known. */
    String address(String id) {
        return known.getOrDefault(id, "");
    }

    /** Proposes {@code request}'s change; its future completes once the change commits, or fails at once. */
    void propose(RawNode raw, Events.ChangeMembership request, Function<String, NotLeaderException> notLeader) {
        if (pending != null) {
            request.future().completeExceptionally(new MembershipChangeRefusedException("the membership change at"
                    + " index " + pending.id().index() + " is not committed yet"));
            return;
        }
        ConfChange change = request.change();
        switch (raw.proposeMembershipChange(change)) {
            case ProposeResult.Accepted a -> {
                pending = new PendingChange(a.id(), request);
                LOG.info("{}: proposed {} {} at index {}", selfId, change.getType(), change.getNode(), a.index());
            }
            case ProposeResult.NotLeader n -> request.future().completeExceptionally(notLeader.apply(n.leaderId()));
            case ProposeResult.Dropped d -> {
                LOG.info("{}: refused {} {}: {}", selfId, change.getType(), change.getNode(), d.reason());
                request.future().completeExceptionally(new MembershipChangeRefusedException(d.reason()));
            }
        }
        follow(raw.membership());
    }

    /** Completes the pending change if {@code committed} (contiguous, in order) holds it. */
    void committed(List<Entry> committed, RawNode raw) {
        if (pending == null || committed.isEmpty()) {
            return;
        }
        long first = committed.get(0).getIndex();
        long index = pending.id().index();
        if (index < first || index > committed.get(committed.size() - 1).getIndex()) {
            return;
        }
        Entry entry = committed.get(RaftLog.position(first, index));
        PendingChange done = pending;
        pending = null;
        if (entry.getTerm() != done.id().term()) {
            done.request().future().completeExceptionally(new ProposalLostException("the membership change at index "
                    + index + " was replaced by an entry of term " + entry.getTerm()));
            return;
        }
        metrics.changeCommitted(done.request().change().getType());
        done.request().future().complete(raw.membershipAt(index));
    }

    /** Fails the pending change: this node stopped leading, or stops ({@code why} says which). */
    void failPending(String why) {
        if (pending != null) {
            PendingChange lost = pending;
            pending = null;
            lost.request().future().completeExceptionally(new ProposalLostException("the membership change at index "
                    + lost.id().index() + " may or may not commit: " + why));
        }
    }

    /** On the leader: publishes how far each learner's log is behind its own (null: this node stopped leading). */
    void publishLearnerLags(RawNode raw) {
        if (raw == null || membership == null || membership.learners().isEmpty()) {
            metrics.learnerLags(Map.of());
            return;
        }
        Map<String, Long> lags = new LinkedHashMap<>();
        RaftStatus status = raw.status();
        status.followers().forEach((id, progress) -> {
            if (membership.learners().contains(id)) {
                lags.put(id, Math.max(0, status.lastIndex() - progress.match()));
            }
        });
        metrics.learnerLags(lags);
    }
}
