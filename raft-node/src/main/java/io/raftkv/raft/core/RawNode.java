package io.raftkv.raft.core;

import com.google.protobuf.ByteString;
import io.raftkv.proto.raft.ConfChange;
import io.raftkv.proto.raft.Entry;
import io.raftkv.proto.raft.HardState;
import io.raftkv.proto.raft.Message;
import io.raftkv.proto.raft.MessageType;
import io.raftkv.proto.raft.SnapshotMetadata;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * One Raft node, driven from a single thread. It never blocks, reads no clock and does no I/O: the caller feeds it
 * time ({@link #tick()}), peer messages ({@link #step}) and local requests, and collects the resulting work as
 * {@link Ready} batches:
 *
 * <pre>{@code
 * loop:
 *   every tick interval:        node.tick()
 *   on a message from a peer:   node.step(message)          (snapshot bytes: stage them first, see below)
 *   on a client request:        node.propose(bytes) / node.readIndex(context) / node.transferLeadership(id)
 *   while node.hasReady():
 *     Ready rd = node.ready();
 *     send rd.messages()                     (may overlap with the write)
 *     persist rd.snapshot(), rd.entries(), rd.hardState()   (one atomic write; fsync if rd.mustSync())
 *     send rd.messagesAfterPersist()
 *     install rd.snapshot() into the state machine; apply rd.committedEntries(); serve rd.readStates()
 *     node.advance(rd)
 * }</pre>
 *
 * Only one Ready is outstanding at a time: {@link #hasReady()} is false and {@link #ready()} refuses until the
 * previous one is advanced. {@link #step}, {@link #tick} and the requests may be called while a Ready is being
 * handled (for example while its write is in flight); what they produce goes into the next Ready.
 *
 * <p>Snapshots: an incoming MSG_SNAPSHOT carries only {@link SnapshotMetadata}; the transport delivers the state
 * machine bytes beside it. Keep them keyed by (index, term) before stepping the message; if the node accepts the
 * snapshot, a later Ready's {@link Ready#snapshot()} names that (index, term) and the runtime installs those bytes.
 * On the sending side, a MSG_SNAPSHOT in a Ready names the snapshot {@link LogStorage#snapshot()} offered when
 * {@link #ready()} was called; attach that snapshot's bytes (so do not drop it before the Ready's messages are sent),
 * and call {@link #reportSnapshot} when the transfer ends. The receiving node refuses a snapshot at or below its
 * commit index.
 */
public final class RawNode {
    private final Raft raft;
    private SoftState previousSoftState;
    private HardState previousHardState;
    private Ready outstanding;
    private final long maxCommittedBytesPerReady;

    /**
     * Creates a node that resumes from whatever {@code storage} holds (a fresh node if it is empty). The membership is
     * the one the storage records, with the changes in its log; the configured voters only start a new node.
     *
     * @throws IllegalArgumentException if the storage does not fit the configuration: a commit index beyond the log,
     *     or an applied index the log cannot continue from
     */
    public RawNode(RaftConfig config, LogStorage storage, RandomGenerator random) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(storage, "storage");
        Objects.requireNonNull(random, "random");
        LogStorage.InitialState initial = storage.initialState();
        HardState hs = initial.hardState();
        long first = storage.firstIndex();
        long last = storage.lastIndex();
        if (hs.getCommit() > last) {
            throw new IllegalArgumentException("stored commit index " + hs.getCommit() + " is beyond the last index "
                    + last);
        }
        long committed = Math.max(hs.getCommit(), first - 1);
        long applied = Math.max(config.applied(), first - 1);
        if (applied > last) {
            throw new IllegalArgumentException("the state machine has applied up to " + applied
                    + " but the log ends at " + last + "; persist the snapshot metadata that covers it first");
        }
        committed = Math.max(committed, applied); // what was applied was committed
        this.maxCommittedBytesPerReady = config.maxCommittedBytesPerReady();
        this.raft = new Raft(config, new RaftLog(storage, committed, applied, config.initialMembership()), hs, random);
        this.previousSoftState = raft.softState();
        this.previousHardState = hs;
    }

    /** Advances logical time by one tick: drives election timeouts, heartbeats and the leader's quorum check. */
    public void tick() {
        raft.tick();
    }

    /**
     * Handles a message from a peer. Messages from an older term, from non-members, or that answer requests this
     * node has moved past are ignored; nothing a peer sends can make this method throw, except a message proving the
     * log was corrupted (an IllegalStateException).
     */
    public void step(Message message) {
        Objects.requireNonNull(message, "message");
        if (message.getType() == MessageType.MSG_UNSPECIFIED || message.getType() == MessageType.UNRECOGNIZED) {
            return;
        }
        raft.step(message);
    }

    /** Proposes a command. Only the leader accepts; the entry goes out to followers with the next Ready. */
    public ProposeResult propose(ByteString data) {
        return raft.propose(Objects.requireNonNull(data, "data"));
    }

    /**
     * Proposes a membership change. The leader accepts it only once it has committed an entry of its own term and no
     * earlier change is uncommitted; otherwise, or if the change does not fit the membership, the result is
     * {@link ProposeResult.Dropped} with the reason. The change takes effect on each node as soon as its entry is in
     * that node's log.
     */
    public ProposeResult proposeMembershipChange(ConfChange change) {
        return raft.proposeMembershipChange(Objects.requireNonNull(change, "change"));
    }

    /** The membership this node's log establishes (its newest change, committed or not). */
    public Membership membership() {
        return raft.log.membership();
    }

    /**
     * The membership in effect at {@code index}: what a snapshot taken there records. The index must not lie before
     * the log's snapshot.
     */
    public Membership membershipAt(long index) {
        return raft.log.membershipAt(index);
    }

    /**
     * Requests a linearizable read barrier identified by {@code context}, which must be unique among this node's
     * pending requests. When leadership is confirmed, a {@link ReadState} with that context appears in a Ready. A
     * follower forwards the request to its leader. Returns false if it cannot be started (no known leader); even when
     * started it can be lost (messages dropped, leadership lost), so callers time out and retry.
     */
    public boolean readIndex(ByteString context) {
        return raft.readIndex(Objects.requireNonNull(context, "context"));
    }

    /**
     * Asks for leadership to move to {@code transferee}: the leader brings it up to date, then tells it to campaign
     * at once; proposals are refused meanwhile, and the attempt is abandoned after an election timeout. On a follower
     * the request is forwarded to the leader. Returns false if the request cannot be started (unknown node, no known
     * leader).
     */
    public boolean transferLeadership(String transferee) {
        return raft.transferLeadership(Objects.requireNonNull(transferee, "transferee"));
    }

    /** Starts an election now instead of waiting for the election timeout (a no-op on the leader). */
    public void campaign() {
        raft.campaignNow();
    }

    /** The transport could not deliver to {@code peer}: the leader stops streaming to it and probes instead. */
    public void reportUnreachable(String peer) {
        raft.reportUnreachable(peer);
    }

    /** The transfer of a snapshot to {@code peer} ended; on failure the leader will try again later. */
    public void reportSnapshot(String peer, boolean success) {
        raft.reportSnapshot(peer, success);
    }

    public RaftStatus status() {
        return raft.status();
    }

    /** Whether there is work to collect with {@link #ready()} (always false while a Ready is outstanding). */
    public boolean hasReady() {
        if (outstanding != null) {
            return false;
        }
        return raft.softStateDiffers(previousSoftState)
                || raft.hardStateDiffers(previousHardState)
                || raft.log.hasUnstableEntries()
                || raft.log.pendingSnapshot() != null
                || raft.hasMessages()
                || raft.hasReadStates()
                || raft.log.hasNextCommittedEntries()
                || raft.hasPendingAppends();
    }

    /** Collects the pending work. Call {@link #advance} once it is handled, before the next call. */
    public Ready ready() {
        if (outstanding != null) {
            throw new IllegalStateException("the previous Ready has not been advanced");
        }
        raft.flushAppends();
        SoftState soft = raft.softState();
        SoftState softChange = raft.softStateDiffers(previousSoftState) ? soft : null;
        previousSoftState = soft;
        HardState hard = raft.hardState();
        HardState hardChange = raft.hardStateDiffers(previousHardState) ? hard : null;
        List<Entry> entries = raft.log.unstableEntries();
        SnapshotMetadata snapshot = raft.log.pendingSnapshot();
        List<Entry> committed = raft.log.nextCommittedEntries(maxCommittedBytesPerReady);
        boolean termOrVoteChanged = hard.getTerm() != previousHardState.getTerm()
                || !hard.getVote().equals(previousHardState.getVote());
        List<Message> immediate = new ArrayList<>();
        List<Message> afterPersist = new ArrayList<>();
        for (Message m : raft.takeMessages()) {
            if (termOrVoteChanged || MessageKinds.promisesDurability(m.getType())) {
                afterPersist.add(m);
            } else {
                immediate.add(m);
            }
        }
        boolean mustSync = termOrVoteChanged || !entries.isEmpty() || snapshot != null;
        outstanding = new Ready(softChange, hardChange, entries, snapshot, committed, List.copyOf(immediate),
                List.copyOf(afterPersist), raft.takeReadStates(), mustSync);
        return outstanding;
    }

    /**
     * Acknowledges that {@code ready} has been handled: its state is persisted and its committed entries and
     * snapshot applied.
     */
    public void advance(Ready ready) {
        if (ready == null || ready != outstanding) {
            throw new IllegalStateException("advance must be given the outstanding Ready");
        }
        outstanding = null;
        if (ready.hardState() != null) {
            previousHardState = ready.hardState();
        }
        List<Entry> entries = ready.entries();
        if (!entries.isEmpty()) {
            Entry last = entries.get(entries.size() - 1);
            raft.log.stableTo(last.getIndex(), last.getTerm());
        }
        SnapshotMetadata snapshot = ready.snapshot();
        if (snapshot != null) {
            raft.log.stableSnapshotTo(snapshot.getIndex());
            if (snapshot.getIndex() > raft.log.applied()) {
                raft.log.appliedTo(snapshot.getIndex());
            }
        }
        List<Entry> committed = ready.committedEntries();
        if (!committed.isEmpty()) {
            raft.log.appliedTo(committed.get(committed.size() - 1).getIndex());
        }
        raft.onPersisted();
    }

    /** The id this node runs as. */
    public String id() {
        return raft.id();
    }

    /** This node's role right now (without building a full status). */
    public Role role() {
        return raft.role();
    }

    /** This node's current term. */
    public long term() {
        return raft.term();
    }

    /** The leader this node knows of, or "". */
    public String leader() {
        return raft.leader();
    }
}
