package io.raftkv.raft.core;

import com.google.protobuf.ByteString;
import io.raftkv.proto.raft.Entry;
import io.raftkv.proto.raft.Message;
import io.raftkv.proto.raft.MessageType;
import io.raftkv.proto.raft.SnapshotMetadata;
import java.util.List;
import java.util.Optional;

/**
 * Log replication, both sides. The leader's side sends each follower the entries it needs next (or a snapshot when
 * they are compacted away) within its flow-control state, sends heartbeats, and moves a follower's progress on its
 * answers. The follower's side appends what the leader sends, rejects with a hint where its log diverges, and decides
 * whether to install a snapshot. The leader replicates to every member, learners included. {@link Raft} calls the
 * leader's side only while it leads, and decides what commits.
 */
final class Replication {
    private final String self;
    private final RaftConfig config;
    private final RaftLog log;
    private final ProgressTracker tracker;
    private final Outbox outbox;
    private final ReadIndexQueue readIndexQueue;

    Replication(String self, RaftConfig config, RaftLog log, ProgressTracker tracker, Outbox outbox,
            ReadIndexQueue readIndexQueue) {
        this.self = self;
        this.config = config;
        this.log = log;
        this.tracker = tracker;
        this.outbox = outbox;
        this.readIndexQueue = readIndexQueue;
    }

    // ---------------------------------------------------------------- the leader: sending

    void sendAppend(String to) {
        maybeSendAppend(to, true);
    }

    /** Sends every follower the entries it can take now (after proposals, in batches). */
    void fillEveryWindow() {
        for (String peer : tracker.members()) {
            if (!peer.equals(self)) {
                fillWindow(peer);
            }
        }
    }

    /** Sends {@code to} as many appends as its in-flight window allows. */
    void fillWindow(String to) {
        while (maybeSendAppend(to, false)) {
            // keep filling the follower's in-flight window
        }
    }

    void broadcastAppend() {
        for (String peer : tracker.members()) {
            if (!peer.equals(self)) {
                sendAppend(peer);
            }
        }
    }

    /** The periodic heartbeat, carrying the newest pending read's context. */
    void broadcastHeartbeat() {
        ByteString context = readIndexQueue.lastContext();
        for (String peer : tracker.members()) {
            if (!peer.equals(self)) {
                tracker.get(peer).answeredSinceHeartbeat = false;
                sendHeartbeat(peer, context);
            }
        }
    }

    /** A heartbeat to every follower at once, for a read that needs a quorum's confirmation. */
    void heartbeatAll(ByteString context) {
        for (String peer : tracker.members()) {
            if (!peer.equals(self)) {
                sendHeartbeat(peer, context);
            }
        }
    }

    /**
     * Sends the follower the entries it needs next (or a snapshot if they are compacted away), respecting its
     * flow-control state. With {@code sendIfEmpty} false, nothing is sent when there are no new entries. Returns
     * whether a message was sent.
     */
    private boolean maybeSendAppend(String to, boolean sendIfEmpty) {
        Progress pr = tracker.get(to);
        if (pr.isPaused()) {
            return false;
        }
        long prevIndex = pr.next - 1;
        long prevTerm = log.term(prevIndex);
        if (prevTerm == RaftLog.NO_TERM) {
            return maybeSendSnapshot(to, pr);
        }
        List<Entry> entries = List.of();
        if (pr.state != Progress.State.REPLICATE || !pr.inflights.full()) {
            entries = log.entries(pr.next, pr.next + config.maxEntriesPerAppend(), config.maxBytesPerAppend());
            if (entries == null) {
                return maybeSendSnapshot(to, pr);
            }
        }
        if (entries.isEmpty() && !sendIfEmpty) {
            return false;
        }
        outbox.send(MessageType.MSG_APPEND, to)
                .setIndex(prevIndex)
                .setLogTerm(prevTerm)
                .addAllEntries(entries)
                .setCommit(log.committed());
        pr.sentEntries(entries.size(), entries.isEmpty() ? prevIndex : entries.get(entries.size() - 1).getIndex());
        return true;
    }

    private boolean maybeSendSnapshot(String to, Progress pr) {
        if (!pr.recentActive) {
            return false; // do not ship a snapshot to a node that may be down; wait until it answers
        }
        Optional<SnapshotMetadata> snapshot = log.snapshotForFollower();
        if (snapshot.isEmpty()) {
            return false; // not available yet; a later heartbeat response retries
        }
        pr.becomeSnapshot(snapshot.get().getIndex());
        outbox.send(MessageType.MSG_SNAPSHOT, to).setSnapshot(snapshot.get());
        return true;
    }

    private void sendHeartbeat(String to, ByteString context) {
        // Never tell a follower to commit beyond what it is known to have.
        long commit = Math.min(tracker.get(to).match, log.committed());
        Message.Builder b = outbox.send(MessageType.MSG_HEARTBEAT, to).setCommit(commit);
        if (context != null) {
            b.setContext(context);
        }
    }

    /**
     * Points a queued snapshot message at the snapshot storage offers now, as the Ready is handed out: the runtime may
     * have taken a newer snapshot (and dropped the old one) since the message was queued, and it can only attach the
     * bytes it holds. {@code stillCurrent} says whether this node still leads in the message's term. Returns false to
     * drop a message that no longer applies.
     */
    boolean refreshSnapshotMessage(Message.Builder b, boolean stillCurrent) {
        Progress pr = tracker.get(b.getTo());
        if (!stillCurrent || pr == null || pr.state != Progress.State.SNAPSHOT
                || pr.pendingSnapshot != b.getSnapshot().getIndex()) {
            return false; // superseded: we stepped down, or the follower's progress moved on
        }
        Optional<SnapshotMetadata> latest = log.snapshotForFollower();
        if (latest.isEmpty()) {
            pr.pendingSnapshot = 0; // never sent: probe from the known match, on a later heartbeat response
            pr.becomeProbe();
            pr.paused = true;
            return false;
        }
        if (latest.get().getIndex() != b.getSnapshot().getIndex()) {
            b.setSnapshot(latest.get());
            pr.becomeSnapshot(latest.get().getIndex());
        }
        return true;
    }

    // ---------------------------------------------------------------- the leader: answers

    /**
     * A follower's answer to an append. Returns true if its match index moved on (the caller then checks the commit
     * index and fills the follower's window); on a rejection, probes further back.
     */
    boolean onAppendResponse(Message m, Progress pr) {
        pr.recentActive = true;
        pr.answeredSinceHeartbeat = true;
        if (m.getReject()) {
            long nextProbe = m.getRejectHint();
            if (m.getConflictTerm() > 0) {
                // Skip every index where our term is above the follower's: none of them can match.
                nextProbe = log.findConflictByTerm(m.getRejectHint(), m.getConflictTerm());
            }
            if (pr.maybeDecreaseTo(m.getIndex(), nextProbe)) {
                if (pr.state == Progress.State.REPLICATE) {
                    pr.becomeProbe();
                }
                sendAppend(m.getFrom());
            }
            return false;
        }
        boolean wasProbeAtMatch = pr.state == Progress.State.PROBE && pr.match == m.getIndex();
        if (!pr.maybeUpdate(m.getIndex()) && !wasProbeAtMatch) {
            return false; // an old acknowledgement: nothing new
        }
        switch (pr.state) {
            case PROBE -> pr.becomeReplicate();
            case SNAPSHOT -> {
                if (pr.match + 1 >= log.firstIndex()) {
                    pr.becomeProbe();
                    pr.becomeReplicate();
                }
            }
            case REPLICATE -> pr.inflights.freeUpTo(m.getIndex());
        }
        return true;
    }

    /** A follower answered a heartbeat: probe again, or nudge one whose appends were apparently lost. */
    void onHeartbeatResponse(Message m, Progress pr) {
        pr.recentActive = true;
        pr.paused = false;
        boolean stalled = pr.match < log.lastIndex() && !pr.answeredSinceHeartbeat;
        if (pr.state == Progress.State.PROBE || stalled) {
            sendAppend(m.getFrom());
        }
    }

    /** The transport could not reach {@code peer}: what was in flight is probably lost. */
    void onUnreachable(String peer) {
        Progress pr = tracker.get(peer);
        if (pr != null && !peer.equals(self) && pr.state == Progress.State.REPLICATE) {
            pr.becomeProbe();
        }
    }

    /** The runtime finished sending a snapshot to {@code peer}, or gave up. */
    void onSnapshotSent(String peer, boolean success) {
        Progress pr = tracker.get(peer);
        if (pr == null || pr.state != Progress.State.SNAPSHOT) {
            return;
        }
        if (!success) {
            pr.pendingSnapshot = 0; // probe from the known match, not from the snapshot that never arrived
        }
        pr.becomeProbe();
        pr.paused = true; // resume on the follower's next answer or heartbeat response
    }

    // ---------------------------------------------------------------- the follower

    void handleAppend(Message m) {
        if (m.getIndex() < log.committed()) {
            // Everything up to our commit index is settled; tell the leader where we are.
            outbox.send(MessageType.MSG_APPEND_RESPONSE, m.getFrom()).setIndex(log.committed());
            return;
        }
        long lastMatch = log.maybeAppend(m.getIndex(), m.getLogTerm(), m.getCommit(), m.getEntriesList());
        if (lastMatch >= 0) {
            outbox.send(MessageType.MSG_APPEND_RESPONSE, m.getFrom()).setIndex(lastMatch);
            return;
        }
        // Reject with a hint: the largest index at which our log may match, given that the leader's entry at
        // m.index has term m.logTerm and terms only grow along a log.
        long hintIndex = log.findConflictByTerm(Math.min(m.getIndex(), log.lastIndex()), m.getLogTerm());
        long hintTerm = Math.max(0, log.term(hintIndex));
        outbox.send(MessageType.MSG_APPEND_RESPONSE, m.getFrom())
                .setIndex(m.getIndex())
                .setReject(true)
                .setRejectHint(hintIndex)
                .setConflictTerm(hintTerm);
    }

    void handleHeartbeat(Message m) {
        log.commitTo(m.getCommit());
        outbox.send(MessageType.MSG_HEARTBEAT_RESPONSE, m.getFrom()).setContext(m.getContext());
    }

    void handleSnapshot(Message m) {
        if (restore(m.getSnapshot())) {
            outbox.send(MessageType.MSG_APPEND_RESPONSE, m.getFrom()).setIndex(log.lastIndex());
        } else {
            outbox.send(MessageType.MSG_APPEND_RESPONSE, m.getFrom()).setIndex(log.committed());
        }
    }

    /**
     * Decides whether to install a snapshot from the leader. This is the one place a snapshot is refused: one at or
     * below the commit index adds nothing (and installing it could move the state machine backwards).
     */
    private boolean restore(SnapshotMetadata snapshot) {
        if (snapshot.getIndex() <= log.committed()) {
            return false;
        }
        if (snapshot.getConfState().getVotersCount() == 0) {
            return false; // a snapshot that does not say who the members are cannot be installed
        }
        if (log.matchTerm(snapshot.getIndex(), snapshot.getTerm())) {
            // We already have the entries the snapshot covers: just learn that they are committed.
            log.commitTo(snapshot.getIndex());
            return false;
        }
        log.restore(snapshot);
        return true;
    }
}
