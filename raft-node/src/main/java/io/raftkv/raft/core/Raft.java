package io.raftkv.raft.core;

import com.google.protobuf.ByteString;
import io.raftkv.proto.raft.Entry;
import io.raftkv.proto.raft.HardState;
import io.raftkv.proto.raft.Message;
import io.raftkv.proto.raft.MessageType;
import io.raftkv.proto.raft.SnapshotMetadata;
import io.raftkv.raft.api.NodeStatus.Role;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * The Raft protocol for one node, as a deterministic state machine: inputs are ticks, messages and local requests;
 * outputs are queued messages and read states, and changes to the log and hard state, which {@link RawNode} packs into
 * {@link Ready} batches. No threads, no clock, no I/O; randomness only from the generator it is given.
 */
final class Raft {
    private final String id;
    private final RaftConfig config;
    private final RandomGenerator random;
    final RaftLog log;
    private final ProgressTracker tracker;
    private final ReadIndexQueue readIndexQueue = new ReadIndexQueue();

    private long term;
    private String vote = "";
    private String leader = "";
    private Role role = Role.FOLLOWER;

    private int electionElapsed;
    private int heartbeatElapsed;
    private int randomizedElectionTimeout;
    private String leadTransferee = "";
    /** Leader: proposals were appended since the last flush; appends go out when the Ready is built (batching). */
    private boolean appendsPending;
    /** Leader: read requests waiting for the first commit of this term (before it, the commit index may be stale). */
    private final List<Message> readsAwaitingTermCommit = new ArrayList<>();

    private final ArrayList<Message.Builder> outbox = new ArrayList<>();
    private final ArrayList<ReadState> readStates = new ArrayList<>();

    Raft(RaftConfig config, RaftLog log, HardState hardState, RandomGenerator random) {
        this.id = config.id();
        this.config = config;
        this.random = random;
        this.log = log;
        this.tracker = new ProgressTracker(config.voters(), config.maxInflightAppends());
        this.term = hardState.getTerm();
        this.vote = hardState.getVote();
        becomeFollower(term, "");
    }

    // ---------------------------------------------------------------- state accessors

    String id() {
        return id;
    }

    long maxCommittedBytesPerReady() {
        return config.maxCommittedBytesPerReady();
    }

    long term() {
        return term;
    }

    Role role() {
        return role;
    }

    String leader() {
        return leader;
    }

    SoftState softState() {
        return new SoftState(role, leader);
    }

    HardState hardState() {
        return HardState.newBuilder().setTerm(term).setVote(vote).setCommit(log.committed()).build();
    }

    /** Whether the hard state differs from {@code previous} (cheaper than building one to compare). */
    boolean hardStateDiffers(HardState previous) {
        return term != previous.getTerm() || log.committed() != previous.getCommit()
                || !vote.equals(previous.getVote());
    }

    /** Whether the soft state differs from {@code previous}. */
    boolean softStateDiffers(SoftState previous) {
        return role != previous.role() || !leader.equals(previous.leader());
    }

    List<Message> takeMessages() {
        List<Message> out = new ArrayList<>(outbox.size());
        for (Message.Builder b : outbox) {
            if (b.getType() != MessageType.MSG_SNAPSHOT || refreshSnapshotMessage(b)) {
                out.add(b.build());
            }
        }
        outbox.clear();
        return out;
    }

    /**
     * Points a snapshot message at the snapshot storage offers now, as the Ready is handed out: the runtime may have
     * taken a newer snapshot (and dropped the old one) since the message was queued, and it can only attach the bytes
     * it holds. Returns false to drop a message that no longer applies.
     */
    private boolean refreshSnapshotMessage(Message.Builder b) {
        Progress pr = tracker.get(b.getTo());
        if (role != Role.LEADER || b.getTerm() != term || pr == null || pr.state != Progress.State.SNAPSHOT
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

    boolean hasMessages() {
        return !outbox.isEmpty();
    }

    List<ReadState> takeReadStates() {
        List<ReadState> out = List.copyOf(readStates);
        readStates.clear();
        return out;
    }

    boolean hasReadStates() {
        return !readStates.isEmpty();
    }

    boolean hasPendingAppends() {
        return role == Role.LEADER && appendsPending;
    }

    RaftStatus status() {
        Map<String, RaftStatus.FollowerProgress> followers = new LinkedHashMap<>();
        if (role == Role.LEADER) {
            for (Map.Entry<String, Progress> e : tracker.progressMap().entrySet()) {
                Progress pr = e.getValue();
                followers.put(e.getKey(), new RaftStatus.FollowerProgress(pr.match, pr.next, pr.state.name(),
                        pr.inflights.count(), pr.recentActive));
            }
        }
        return new RaftStatus(id, role, term, vote, leader, log.committed(), log.applied(), log.firstIndex(),
                log.lastIndex(), leadTransferee, Collections.unmodifiableMap(followers));
    }

    // ---------------------------------------------------------------- local inputs

    void tick() {
        if (role == Role.LEADER) {
            tickLeader();
        } else {
            tickElection();
        }
    }

    private void tickElection() {
        electionElapsed++;
        if (electionElapsed >= randomizedElectionTimeout && promotable()) {
            electionElapsed = 0;
            campaign(config.preVote() ? Campaign.PRE_ELECTION : Campaign.ELECTION);
        }
    }

    private void tickLeader() {
        heartbeatElapsed++;
        electionElapsed++;
        if (electionElapsed >= config.electionTicks()) {
            electionElapsed = 0;
            if (config.checkQuorum()) {
                if (!tracker.quorumActive(id)) {
                    becomeFollower(term, ""); // cut off from a quorum: stop acting as leader
                    return;
                }
                tracker.markAllInactive(id);
            }
            leadTransferee = ""; // a transfer not done within an election timeout is abandoned
        }
        if (heartbeatElapsed >= config.heartbeatTicks()) {
            heartbeatElapsed = 0;
            broadcastHeartbeat();
        }
    }

    /** Starts an election now, as if the election timeout had passed (used by tests and to bootstrap quickly). */
    void campaignNow() {
        if (role != Role.LEADER && promotable()) {
            campaign(config.preVote() ? Campaign.PRE_ELECTION : Campaign.ELECTION);
        }
    }

    ProposeResult propose(ByteString data) {
        if (role != Role.LEADER) {
            return new ProposeResult.NotLeader(leader);
        }
        if (!leadTransferee.isEmpty()) {
            return new ProposeResult.Dropped("leadership transfer to " + leadTransferee + " in progress");
        }
        long index = log.lastIndex() + 1;
        log.append(List.of(Entry.newBuilder().setTerm(term).setIndex(index).setData(data).build()));
        appendsPending = true;
        return new ProposeResult.Accepted(index, term);
    }

    /** Sends the entries proposed since the last flush to every follower that can take them. */
    void flushAppends() {
        if (role != Role.LEADER || !appendsPending) {
            return;
        }
        appendsPending = false;
        for (String peer : tracker.voters()) {
            if (!peer.equals(id)) {
                while (maybeSendAppend(peer, false)) {
                    // keep filling the follower's in-flight window
                }
            }
        }
    }

    boolean readIndex(ByteString context) {
        Message request = Message.newBuilder().setType(MessageType.MSG_READ_INDEX).setFrom(id).setTo(id)
                .setTerm(term).setContext(context).build();
        switch (role) {
            case LEADER -> {
                handleReadIndexRequest(request);
                return true;
            }
            case FOLLOWER -> {
                if (leader.isEmpty()) {
                    return false;
                }
                send(MessageType.MSG_READ_INDEX, leader).setContext(context);
                return true;
            }
            default -> {
                return false;
            }
        }
    }

    boolean transferLeadership(String transferee) {
        if (!tracker.voters().contains(transferee)) {
            return false;
        }
        if (role == Role.LEADER) {
            startTransfer(transferee);
            return true;
        }
        if (role == Role.FOLLOWER && !leader.isEmpty()) {
            if (transferee.equals(leader)) {
                return true;
            }
            send(MessageType.MSG_TRANSFER_LEADER, leader).setTransferee(transferee);
            return true;
        }
        return false;
    }

    void reportUnreachable(String peer) {
        if (role != Role.LEADER) {
            return;
        }
        Progress pr = tracker.get(peer);
        if (pr != null && !peer.equals(id) && pr.state == Progress.State.REPLICATE) {
            pr.becomeProbe(); // what was in flight is probably lost
        }
    }

    void reportSnapshot(String peer, boolean success) {
        if (role != Role.LEADER) {
            return;
        }
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

    /** Called when a Ready has been persisted: the leader now counts its own durable entries towards commit. */
    void onPersisted() {
        if (role != Role.LEADER) {
            return;
        }
        Progress self = tracker.get(id);
        if (self.maybeUpdate(log.persistedLastIndex())) {
            maybeCommitAndRelease();
        }
    }

    // ---------------------------------------------------------------- messages

    void step(Message m) {
        if (m.getFrom().equals(id) || !tracker.voters().contains(m.getFrom())) {
            return; // not from a member of this cluster
        }
        MessageType type = m.getType();
        // Terms first: a message from an older term is stale and looked at no further.
        if (m.getTerm() > term) {
            if (type == MessageType.MSG_VOTE || type == MessageType.MSG_PRE_VOTE) {
                boolean inLease = config.checkQuorum() && !leader.isEmpty()
                        && electionElapsed < config.electionTicks();
                if (inLease && !m.getLeaderTransfer()) {
                    return; // we heard from a live leader recently: do not let this candidate disrupt it
                }
            }
            if (type == MessageType.MSG_PRE_VOTE
                    || (type == MessageType.MSG_PRE_VOTE_RESPONSE && !m.getReject())) {
                // A pre-vote asks about a future term and changes no one's term; a granted pre-vote response
                // carries the term the pre-candidate asked about.
            } else if (type == MessageType.MSG_APPEND || type == MessageType.MSG_HEARTBEAT
                    || type == MessageType.MSG_SNAPSHOT) {
                becomeFollower(m.getTerm(), m.getFrom());
            } else {
                becomeFollower(m.getTerm(), "");
            }
        } else if (m.getTerm() < term) {
            if ((config.checkQuorum() || config.preVote())
                    && (type == MessageType.MSG_HEARTBEAT || type == MessageType.MSG_APPEND)) {
                // A leader of an older term: tell it our term so it steps down (it may be a node that was cut off).
                send(MessageType.MSG_APPEND_RESPONSE, m.getFrom());
            } else if (type == MessageType.MSG_PRE_VOTE) {
                send(MessageType.MSG_PRE_VOTE_RESPONSE, m.getFrom()).setReject(true);
            }
            return;
        }

        switch (type) {
            case MSG_VOTE, MSG_PRE_VOTE -> handleVoteRequest(m);
            default -> {
                switch (role) {
                    case LEADER -> stepLeader(m);
                    case CANDIDATE, PRE_CANDIDATE -> stepCandidate(m);
                    case FOLLOWER -> stepFollower(m);
                }
            }
        }
    }

    private void handleVoteRequest(Message m) {
        boolean preVote = m.getType() == MessageType.MSG_PRE_VOTE;
        MessageType responseType = preVote ? MessageType.MSG_PRE_VOTE_RESPONSE : MessageType.MSG_VOTE_RESPONSE;
        boolean canVote = vote.equals(m.getFrom())
                || (vote.isEmpty() && leader.isEmpty())
                || (preVote && m.getTerm() > term);
        if (canVote && log.isUpToDate(m.getIndex(), m.getLogTerm())) {
            // Answer with the request's term: a pre-candidate asks about a term we have not reached.
            send(responseType, m.getFrom()).setTerm(m.getTerm());
            if (!preVote) {
                electionElapsed = 0;
                vote = m.getFrom();
            }
        } else {
            send(responseType, m.getFrom()).setReject(true);
        }
    }

    private void stepLeader(Message m) {
        Progress pr = tracker.get(m.getFrom());
        switch (m.getType()) {
            case MSG_APPEND_RESPONSE -> handleAppendResponse(m, pr);
            case MSG_HEARTBEAT_RESPONSE -> handleHeartbeatResponse(m, pr);
            case MSG_READ_INDEX -> handleReadIndexRequest(m);
            case MSG_TRANSFER_LEADER -> {
                if (tracker.voters().contains(m.getTransferee())) {
                    startTransfer(m.getTransferee());
                }
            }
            default -> {
                // Anything else at our own term is meaningless to a leader (vote responses of the election we won).
            }
        }
    }

    private void handleAppendResponse(Message m, Progress pr) {
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
            return;
        }
        boolean wasProbeAtMatch = pr.state == Progress.State.PROBE && pr.match == m.getIndex();
        if (!pr.maybeUpdate(m.getIndex()) && !wasProbeAtMatch) {
            return; // an old acknowledgement: nothing new
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
        maybeCommitAndRelease();
        while (maybeSendAppend(m.getFrom(), false)) {
            // the window opened: send what fits
        }
        if (m.getFrom().equals(leadTransferee) && pr.match == log.lastIndex()) {
            send(MessageType.MSG_TIMEOUT_NOW, m.getFrom());
        }
    }

    private void handleHeartbeatResponse(Message m, Progress pr) {
        pr.recentActive = true;
        pr.paused = false;
        boolean stalled = pr.match < log.lastIndex() && !pr.answeredSinceHeartbeat;
        if (pr.state == Progress.State.PROBE || stalled) {
            // Probe again, or nudge a follower whose in-flight appends were apparently lost.
            sendAppend(m.getFrom());
        }
        if (m.getContext().isEmpty()) {
            return;
        }
        if (readIndexQueue.ack(m.getFrom(), m.getContext()) < tracker.quorum()) {
            return;
        }
        for (ReadIndexQueue.Pending p : readIndexQueue.confirmUpTo(m.getContext())) {
            answerRead(p.from(), p.context(), p.index());
        }
    }

    private void stepCandidate(Message m) {
        switch (m.getType()) {
            case MSG_APPEND -> {
                becomeFollower(m.getTerm(), m.getFrom());
                handleAppend(m);
            }
            case MSG_HEARTBEAT -> {
                becomeFollower(m.getTerm(), m.getFrom());
                handleHeartbeat(m);
            }
            case MSG_SNAPSHOT -> {
                becomeFollower(m.getTerm(), m.getFrom());
                handleSnapshot(m);
            }
            case MSG_PRE_VOTE_RESPONSE -> {
                if (role != Role.PRE_CANDIDATE) {
                    return; // a late answer to a pre-vote round we already won
                }
                tracker.recordPreVote(m.getFrom(), !m.getReject());
                switch (tracker.tallyPreVotes()) {
                    case WON -> campaign(Campaign.ELECTION);
                    case LOST -> becomeFollower(term, "");
                    case PENDING -> {
                    }
                }
            }
            case MSG_VOTE_RESPONSE -> {
                // Votes for the election we started in this term still count after our timer fired and we went
                // back to pre-voting for the next term: we are still this term's candidate (we voted for ourselves,
                // and our log has not changed), so a majority of them makes us its leader. On slow networks this
                // keeps elections from timing out forever.
                if (!vote.equals(id)) {
                    return;
                }
                tracker.recordVote(m.getFrom(), !m.getReject());
                switch (tracker.tallyVotes()) {
                    case WON -> becomeLeader();
                    case LOST -> {
                        if (role == Role.CANDIDATE) {
                            becomeFollower(term, "");
                        }
                    }
                    case PENDING -> {
                    }
                }
            }
            default -> {
                // read index traffic without a leader, timeout-now while campaigning, etc.
            }
        }
    }

    private void stepFollower(Message m) {
        switch (m.getType()) {
            case MSG_APPEND -> {
                electionElapsed = 0;
                leader = m.getFrom();
                handleAppend(m);
            }
            case MSG_HEARTBEAT -> {
                electionElapsed = 0;
                leader = m.getFrom();
                handleHeartbeat(m);
            }
            case MSG_SNAPSHOT -> {
                electionElapsed = 0;
                leader = m.getFrom();
                handleSnapshot(m);
            }
            case MSG_TIMEOUT_NOW -> campaign(Campaign.TRANSFER);
            case MSG_READ_INDEX_RESPONSE -> readStates.add(new ReadState(m.getIndex(), m.getContext()));
            default -> {
                // Responses of a role we no longer have; read and transfer requests meant for a leader (the sender
                // retries with the right one).
            }
        }
    }

    private void handleAppend(Message m) {
        if (m.getIndex() < log.committed()) {
            // Everything up to our commit index is settled; tell the leader where we are.
            send(MessageType.MSG_APPEND_RESPONSE, m.getFrom()).setIndex(log.committed());
            return;
        }
        long lastMatch = log.maybeAppend(m.getIndex(), m.getLogTerm(), m.getCommit(), m.getEntriesList());
        if (lastMatch >= 0) {
            send(MessageType.MSG_APPEND_RESPONSE, m.getFrom()).setIndex(lastMatch);
            return;
        }
        // Reject with a hint: the largest index at which our log may match, given that the leader's entry at
        // m.index has term m.logTerm and terms only grow along a log.
        long hintIndex = log.findConflictByTerm(Math.min(m.getIndex(), log.lastIndex()), m.getLogTerm());
        long hintTerm = Math.max(0, log.term(hintIndex));
        send(MessageType.MSG_APPEND_RESPONSE, m.getFrom())
                .setIndex(m.getIndex())
                .setReject(true)
                .setRejectHint(hintIndex)
                .setConflictTerm(hintTerm);
    }

    private void handleHeartbeat(Message m) {
        log.commitTo(m.getCommit());
        send(MessageType.MSG_HEARTBEAT_RESPONSE, m.getFrom()).setContext(m.getContext());
    }

    private void handleSnapshot(Message m) {
        if (restore(m.getSnapshot())) {
            send(MessageType.MSG_APPEND_RESPONSE, m.getFrom()).setIndex(log.lastIndex());
        } else {
            send(MessageType.MSG_APPEND_RESPONSE, m.getFrom()).setIndex(log.committed());
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
        if (!new HashSet<>(snapshot.getConfState().getVotersList()).equals(new HashSet<>(tracker.voters()))) {
            return false; // membership changes are not supported: a snapshot of another cluster is not ours
        }
        if (log.matchTerm(snapshot.getIndex(), snapshot.getTerm())) {
            // We already have the entries the snapshot covers: just learn that they are committed.
            log.commitTo(snapshot.getIndex());
            return false;
        }
        log.restore(snapshot);
        return true;
    }

    // ---------------------------------------------------------------- sending

    /** Queues a message of this node's term; callers fill in the rest on the returned builder. */
    private Message.Builder send(MessageType type, String to) {
        Message.Builder b = Message.newBuilder().setType(type).setFrom(id).setTo(to).setTerm(term);
        outbox.add(b);
        return b;
    }

    private void sendAppend(String to) {
        maybeSendAppend(to, true);
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
        send(MessageType.MSG_APPEND, to)
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
        send(MessageType.MSG_SNAPSHOT, to).setSnapshot(snapshot.get());
        return true;
    }

    private void broadcastHeartbeat() {
        ByteString context = readIndexQueue.lastContext();
        for (String peer : tracker.voters()) {
            if (!peer.equals(id)) {
                tracker.get(peer).answeredSinceHeartbeat = false;
                sendHeartbeat(peer, context);
            }
        }
    }

    private void sendHeartbeat(String to, ByteString context) {
        // Never tell a follower to commit beyond what it is known to have.
        long commit = Math.min(tracker.get(to).match, log.committed());
        Message.Builder b = send(MessageType.MSG_HEARTBEAT, to).setCommit(commit);
        if (context != null) {
            b.setContext(context);
        }
    }

    private void broadcastAppend() {
        for (String peer : tracker.voters()) {
            if (!peer.equals(id)) {
                sendAppend(peer);
            }
        }
    }

    // ---------------------------------------------------------------- commit and reads

    private void maybeCommitAndRelease() {
        // Only entries of the current term are committed by counting (Figure 8); earlier ones commit with them.
        long index = tracker.quorumMatch();
        // The test-only hook counts replicas of any term, so tests can prove the safety checker catches it.
        long commitTerm = config.unsafeCommitOlderTermsForTesting() && index > log.committed()
                ? log.term(index) : term;
        if (log.maybeCommit(index, commitTerm)) {
            releaseReadsAwaitingTermCommit();
        }
    }

    private boolean committedEntryInCurrentTerm() {
        return log.term(log.committed()) == term;
    }

    private void handleReadIndexRequest(Message m) {
        if (tracker.isSingleton()) {
            answerRead(m.getFrom(), m.getContext(), log.committed());
            return;
        }
        if (!committedEntryInCurrentTerm()) {
            readsAwaitingTermCommit.add(m);
            return;
        }
        registerRead(m);
    }

    private void registerRead(Message m) {
        readIndexQueue.add(m.getContext(), log.committed(), m.getFrom());
        readIndexQueue.ack(id, m.getContext());
        for (String peer : tracker.voters()) {
            if (!peer.equals(id)) {
                sendHeartbeat(peer, m.getContext());
            }
        }
    }

    private void releaseReadsAwaitingTermCommit() {
        if (readsAwaitingTermCommit.isEmpty()) {
            return;
        }
        List<Message> waiting = List.copyOf(readsAwaitingTermCommit);
        readsAwaitingTermCommit.clear();
        for (Message m : waiting) {
            registerRead(m);
        }
    }

    private void answerRead(String requester, ByteString context, long index) {
        if (requester.equals(id)) {
            readStates.add(new ReadState(index, context));
        } else {
            send(MessageType.MSG_READ_INDEX_RESPONSE, requester).setIndex(index).setContext(context);
        }
    }

    // ---------------------------------------------------------------- leadership transfer

    private void startTransfer(String transferee) {
        if (transferee.equals(id) || transferee.equals(leadTransferee)) {
            return;
        }
        leadTransferee = transferee;
        electionElapsed = 0; // the transfer must finish within one election timeout
        Progress pr = tracker.get(transferee);
        if (pr.match == log.lastIndex()) {
            send(MessageType.MSG_TIMEOUT_NOW, transferee);
        } else {
            sendAppend(transferee);
        }
    }

    // ---------------------------------------------------------------- role changes

    private enum Campaign { PRE_ELECTION, ELECTION, TRANSFER }

    private boolean promotable() {
        return tracker.voters().contains(id) && log.pendingSnapshot() == null;
    }

    private void campaign(Campaign kind) {
        long voteTerm;
        MessageType requestType;
        if (kind == Campaign.PRE_ELECTION) {
            becomePreCandidate();
            voteTerm = term + 1; // ask about the next term without moving to it
            requestType = MessageType.MSG_PRE_VOTE;
        } else {
            becomeCandidate();
            voteTerm = term;
            requestType = MessageType.MSG_VOTE;
        }
        boolean won;
        if (kind == Campaign.PRE_ELECTION) {
            tracker.recordPreVote(id, true);
            won = tracker.tallyPreVotes() == ProgressTracker.VoteResult.WON;
        } else {
            tracker.recordVote(id, true);
            won = tracker.tallyVotes() == ProgressTracker.VoteResult.WON;
        }
        if (won) {
            // A single-node cluster wins on its own vote.
            if (kind == Campaign.PRE_ELECTION) {
                campaign(Campaign.ELECTION);
            } else {
                becomeLeader();
            }
            return;
        }
        long lastIndex = log.lastIndex();
        long lastTerm = log.lastTerm();
        for (String peer : tracker.voters()) {
            if (peer.equals(id)) {
                continue;
            }
            send(requestType, peer)
                    .setTerm(voteTerm)
                    .setIndex(lastIndex)
                    .setLogTerm(lastTerm)
                    .setLeaderTransfer(kind == Campaign.TRANSFER);
        }
    }

    private void reset(long newTerm) {
        if (term != newTerm) {
            term = newTerm;
            vote = "";
        }
        leader = "";
        electionElapsed = 0;
        heartbeatElapsed = 0;
        resetRandomizedElectionTimeout();
        leadTransferee = "";
        appendsPending = false;
        tracker.resetVotes();
        tracker.resetProgress(log.lastIndex());
        readIndexQueue.clear();
        readsAwaitingTermCommit.clear();
    }

    private void resetRandomizedElectionTimeout() {
        randomizedElectionTimeout = config.electionTicks() + random.nextInt(config.electionTicks());
    }

    private void becomeFollower(long newTerm, String newLeader) {
        reset(newTerm);
        leader = newLeader;
        role = Role.FOLLOWER;
    }

    private void becomePreCandidate() {
        // Term, vote and the votes of this term's election stay: a pre-vote changes nothing durable.
        tracker.resetPreVotes();
        leader = "";
        role = Role.PRE_CANDIDATE;
        resetRandomizedElectionTimeout();
    }

    private void becomeCandidate() {
        reset(term + 1);
        vote = id;
        role = Role.CANDIDATE;
    }

    private void becomeLeader() {
        reset(term);
        leader = id;
        role = Role.LEADER;
        Progress self = tracker.get(id);
        self.match = log.persistedLastIndex();
        self.becomeReplicate();
        self.recentActive = true;
        // An empty entry of the new term: committing it commits everything before it (Figure 8).
        log.append(List.of(Entry.newBuilder().setTerm(term).setIndex(log.lastIndex() + 1).build()));
        broadcastAppend();
    }
}
