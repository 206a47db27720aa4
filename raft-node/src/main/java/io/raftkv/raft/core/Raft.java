package io.raftkv.raft.core;

import com.google.protobuf.ByteString;
import io.raftkv.proto.raft.ConfChange;
import io.raftkv.proto.raft.Entry;
import io.raftkv.proto.raft.EntryType;
import io.raftkv.proto.raft.HardState;
import io.raftkv.proto.raft.Message;
import io.raftkv.proto.raft.MessageType;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * The Raft protocol for one node, as a deterministic state machine: inputs are ticks, messages and local requests;
 * outputs are queued messages and read states, and changes to the log and hard state, which {@link RawNode} packs into
 * {@link Ready} batches. No threads, no clock, no I/O; randomness only from the generator it is given.
 *
 * <p>This class owns the term, vote, role and timers: elections, the dispatch of messages by term and role, commit
 * and leadership transfer. Log replication (both the leader's and the follower's side) is {@link Replication}'s,
 * ReadIndex reads are {@link LeaderReads}', and every message goes out through the {@link Outbox}.
 */
final class Raft {
    private final String id;
    private final RaftConfig config;
    private final RandomGenerator random;
    final RaftLog log;
    private final ProgressTracker tracker;

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

    private final Outbox outbox;
    private final Replication replication;
    private final LeaderReads reads;

    Raft(RaftConfig config, RaftLog log, HardState hardState, RandomGenerator random) {
        this.id = config.id();
        this.config = config;
        this.random = random;
        this.log = log;
        this.tracker = new ProgressTracker(log.membership(), config.maxInflightAppends());
        log.onMembershipChange(m -> tracker.changeMembership(m, log.lastIndex()));
        this.term = hardState.getTerm();
        this.vote = hardState.getVote();
        this.outbox = new Outbox(id, term);
        ReadIndexQueue readIndexQueue = new ReadIndexQueue();
        this.replication = new Replication(id, config, log, tracker, outbox, readIndexQueue);
        this.reads = new LeaderReads(id, log, tracker, outbox, replication, readIndexQueue);
        becomeFollower(term, "");
    }

    // ---------------------------------------------------------------- state accessors

    String id() {
        return id;
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
        return outbox.take(b -> b.getType() != MessageType.MSG_SNAPSHOT
                || replication.refreshSnapshotMessage(b, role == Role.LEADER && b.getTerm() == term));
    }

    boolean hasMessages() {
        return !outbox.isEmpty();
    }

    List<ReadState> takeReadStates() {
        return reads.takeReadStates();
    }

    boolean hasReadStates() {
        return reads.hasReadStates();
    }

    boolean hasPendingAppends() {
        return role == Role.LEADER && appendsPending;
    }

    RaftStatus status() {
        Map<String, RaftStatus.FollowerProgress> followers = role == Role.LEADER ? tracker.followerProgress() : Map.of();
        return new RaftStatus(id, role, term, vote, leader, log.committed(), log.applied(), log.firstIndex(),
                log.lastIndex(), leadTransferee, followers);
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
            replication.broadcastHeartbeat();
        }
    }

    /** Starts an election now, as if the election timeout had passed (used by tests and to bootstrap quickly). */
    void campaignNow() {
        if (role != Role.LEADER && promotable()) {
            campaign(config.preVote() ? Campaign.PRE_ELECTION : Campaign.ELECTION);
        }
    }

    ProposeResult propose(ByteString data) {
        ProposeResult busy = notTakingProposals();
        return busy != null ? busy : appendOwn(Entry.newBuilder().setData(data));
    }

    /** Why no proposal is taken now (not the leader, or handing leadership over), or null if they are. */
    private ProposeResult notTakingProposals() {
        if (role != Role.LEADER) {
            return new ProposeResult.NotLeader(leader);
        }
        return leadTransferee.isEmpty() ? null
                : new ProposeResult.Dropped("leadership transfer to " + leadTransferee + " in progress");
    }

    /** Appends an entry of this leader's term at the end of the log; it goes out with the next flush. */
    private ProposeResult appendOwn(Entry.Builder entry) {
        long index = log.lastIndex() + 1;
        log.append(List.of(entry.setTerm(term).setIndex(index).build()));
        appendsPending = true;
        return new ProposeResult.Accepted(new EntryId(term, index));
    }

    /** Proposes a membership change, within {@link MembershipChangeRules}. */
    ProposeResult proposeMembershipChange(ConfChange change) {
        ProposeResult busy = notTakingProposals();
        if (busy != null) {
            return busy;
        }
        String refusal = MembershipChangeRules.refusal(change, log, tracker, term, config);
        if (refusal != null) {
            return new ProposeResult.Dropped(refusal);
        }
        ConfChange recorded = change.toBuilder().setAfter(tracker.membership().apply(change).toConfState()).build();
        return appendOwn(Entry.newBuilder().setType(EntryType.ENTRY_CONF_CHANGE).setData(recorded.toByteString()));
    }

    /** Sends the entries proposed since the last flush to every follower that can take them. */
    void flushAppends() {
        if (role != Role.LEADER || !appendsPending) {
            return;
        }
        appendsPending = false;
        replication.fillEveryWindow();
    }

    boolean readIndex(ByteString context) {
        return reads.requestOwn(context, role, leader, term);
    }

    boolean transferLeadership(String transferee) {
        if (!tracker.isVoter(transferee)) {
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
            outbox.send(MessageType.MSG_TRANSFER_LEADER, leader).setTransferee(transferee);
            return true;
        }
        return false;
    }

    void reportUnreachable(String peer) {
        if (role == Role.LEADER) {
            replication.onUnreachable(peer);
        }
    }

    void reportSnapshot(String peer, boolean success) {
        if (role == Role.LEADER) {
            replication.onSnapshotSent(peer, success);
        }
    }

    /** Called when a Ready has been persisted: the leader now counts its own durable entries towards commit. */
    void onPersisted() {
        if (role != Role.LEADER) {
            return;
        }
        Progress self = tracker.get(id); // null once this leader removed itself: it no longer counts
        if (self != null && self.maybeUpdate(log.persistedLastIndex())) {
            maybeCommitAndRelease();
        }
    }

    // ---------------------------------------------------------------- messages

    void step(Message m) {
        MessageType type = m.getType();
        if (m.getFrom().equals(id) || !tracker.isMember(m.getFrom()) && !MessageKinds.fromALeader(type)) {
            return; // not from a member: a removed node cannot disrupt the group
        }
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
                outbox.send(MessageType.MSG_APPEND_RESPONSE, m.getFrom());
            } else if (type == MessageType.MSG_PRE_VOTE) {
                outbox.send(MessageType.MSG_PRE_VOTE_RESPONSE, m.getFrom()).setReject(true);
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
            outbox.send(responseType, m.getFrom()).setTerm(m.getTerm());
            if (!preVote) {
                electionElapsed = 0;
                vote = m.getFrom();
            }
        } else {
            outbox.send(responseType, m.getFrom()).setReject(true);
        }
    }

    private void stepLeader(Message m) {
        Progress pr = tracker.get(m.getFrom());
        switch (m.getType()) {
            case MSG_APPEND_RESPONSE -> handleAppendResponse(m, pr);
            case MSG_HEARTBEAT_RESPONSE -> {
                replication.onHeartbeatResponse(m, pr);
                if (tracker.isVoter(m.getFrom())) {
                    reads.onHeartbeatAck(m.getFrom(), m.getContext()); // a learner's answer confirms nothing
                }
            }
            case MSG_READ_INDEX -> reads.request(m, log.hasCommittedInTerm(term));
            case MSG_TRANSFER_LEADER -> {
                if (tracker.isVoter(m.getTransferee())) {
                    startTransfer(m.getTransferee());
                }
            }
            default -> {
                // Anything else at our own term is meaningless to a leader (vote responses of the election we won).
            }
        }
    }

    private void handleAppendResponse(Message m, Progress pr) {
        if (!replication.onAppendResponse(m, pr)) {
            return;
        }
        maybeCommitAndRelease();
        replication.fillWindow(m.getFrom()); // the window opened: send what fits
        if (m.getFrom().equals(leadTransferee) && pr.match == log.lastIndex()) {
            outbox.send(MessageType.MSG_TIMEOUT_NOW, m.getFrom());
        }
    }

    private void stepCandidate(Message m) {
        switch (m.getType()) {
            case MSG_APPEND -> {
                becomeFollower(m.getTerm(), m.getFrom());
                replication.handleAppend(m);
            }
            case MSG_HEARTBEAT -> {
                becomeFollower(m.getTerm(), m.getFrom());
                replication.handleHeartbeat(m);
            }
            case MSG_SNAPSHOT -> {
                becomeFollower(m.getTerm(), m.getFrom());
                replication.handleSnapshot(m);
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
                replication.handleAppend(m);
            }
            case MSG_HEARTBEAT -> {
                electionElapsed = 0;
                leader = m.getFrom();
                replication.handleHeartbeat(m);
            }
            case MSG_SNAPSHOT -> {
                electionElapsed = 0;
                leader = m.getFrom();
                replication.handleSnapshot(m);
            }
            case MSG_TIMEOUT_NOW -> {
                if (promotable()) { // a learner is never told to campaign, but must not if it were
                    campaign(Campaign.TRANSFER);
                }
            }
            case MSG_READ_INDEX_RESPONSE -> reads.onResponse(m);
            default -> {
                // Responses of a role we no longer have; read and transfer requests meant for a leader (the sender
                // retries with the right one).
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
            reads.releaseAwaitingTermCommit();
            if (!tracker.isVoter(id) && log.lastMembershipChangeIndex() <= log.committed()) {
                stepDownAfterRemoval();
            }
        }
    }

    /**
     * This leader's removal is committed: it stops leading (dissertation 4.2.2), and tells the voter with the longest
     * log to campaign at once rather than leave the group without a leader for an election timeout.
     */
    private void stepDownAfterRemoval() {
        String successor = tracker.voterWithMatch(log.lastIndex());
        if (!successor.isEmpty()) {
            outbox.send(MessageType.MSG_TIMEOUT_NOW, successor);
        }
        becomeFollower(term, "");
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
            outbox.send(MessageType.MSG_TIMEOUT_NOW, transferee);
        } else {
            replication.sendAppend(transferee);
        }
    }

    // ---------------------------------------------------------------- role changes

    private enum Campaign { PRE_ELECTION, ELECTION, TRANSFER }

    private boolean promotable() {
        return tracker.isVoter(id) && log.pendingSnapshot() == null;
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
            outbox.send(requestType, peer)
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
            outbox.term(newTerm);
        }
        leader = "";
        electionElapsed = 0;
        heartbeatElapsed = 0;
        resetRandomizedElectionTimeout();
        leadTransferee = "";
        appendsPending = false;
        tracker.resetVotes();
        tracker.resetProgress(log.lastIndex());
        reads.clear();
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
        replication.broadcastAppend();
    }
}
