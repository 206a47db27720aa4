package io.raftkv.raft.runtime;

import com.google.protobuf.UnsafeByteOperations;
import io.raftkv.common.cli.DurationConverter;
import io.raftkv.common.faults.Failpoints;
import io.raftkv.proto.raft.Entry;
import io.raftkv.proto.raft.HardState;
import io.raftkv.proto.raft.Message;
import io.raftkv.proto.raft.MessageType;
import io.raftkv.proto.raft.SnapshotMetadata;
import io.raftkv.raft.api.NotLeaderException;
import io.raftkv.raft.core.ProposeResult;
import io.raftkv.raft.core.RaftStatus;
import io.raftkv.raft.core.RawNode;
import io.raftkv.raft.core.ReadState;
import io.raftkv.raft.core.Ready;
import io.raftkv.raft.core.Role;
import io.raftkv.raft.core.SoftState;
import io.raftkv.raft.storage.LogWrite;
import io.raftkv.raft.storage.NodeStorage;
import io.raftkv.raft.storage.SnapshotDirectory;
import io.raftkv.raft.storage.SnapshotFile;
import io.raftkv.raft.transport.MessageSink;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drives one node's Raft core: it feeds the {@link RawNode} its inputs (peer messages, proposals, read barriers,
 * leadership transfers, ticks) and carries out each {@link Ready} in the order that keeps acknowledged data safe:
 *
 * <ol>
 *   <li>messages go out at once (a leader's appends leave before its own write: the core counts the leader towards
 *       commit only after the write, so an entry commits only once a majority holds it durably);
 *   <li>snapshot, entries and hard state go to {@link NodeStorage} as one write, fsynced if the Ready says so (group
 *       commit: every proposal taken since the previous Ready shares the fsync). The write runs here, or, with async
 *       persist, on the {@link WriteExecutor} while the driver goes on stepping messages and taking proposals for the
 *       next Ready (unsynced, commit-only writes always run here);
 *   <li>once durable: messages that promise durability go out, and the snapshot, committed entries and released read
 *       barriers go to the {@link ApplyHandoff} in log order; then the core is advanced.
 * </ol>
 *
 * It also keeps the proposals and read barriers waiting on the core, and which snapshot files exist. It owns no
 * thread: one thread calls every method (the {@link EventLoop} in production), and it depends only on a clock, the
 * storage, a message sink, the apply hand-off and the write executor, so a simulation can drive it in virtual time.
 */
final class CoreDriver {
    private static final Logger LOG = LoggerFactory.getLogger(CoreDriver.class);

    /**
     * Timing and limits of the driver.
     *
     * @param defect {@link Defect#NONE}, except in the simulator's tests
     */
    record Settings(long tickNanos, long readRetryNanos, long readTimeoutNanos, long transferTimeoutNanos,
            long maxRaftStateBytes, long catchUpEntries, boolean asyncPersist, Defect defect) {}

    /**
     * UNSAFE, tests only: a known ordering bug the driver can be built with, so the simulator's tests can show that
     * its checks catch it in this code. Production always uses {@link #NONE}.
     */
    enum Defect {
        NONE,
        /** A proposal is reported applied as soon as the leader appends it, before it is persisted or committed. */
        ACK_PROPOSAL_BEFORE_PERSIST,
        /** A received snapshot is installed one Ready late: the entries committed after it are applied first. */
        APPLY_BEFORE_SNAPSHOT,
        /** Acknowledgements (append responses, votes) leave before the write they promise is durable. */
        RESPOND_BEFORE_FSYNC,
        /** A write that changes only the hard state (a term or a vote) is not fsynced. */
        UNSYNCED_HARD_STATE
    }

    private final String id;
    /** Who the members are and where, and the membership change this node proposed. */
    private final GroupMembership members;
    private final Settings settings;
    private final LongSupplier clock;
    private final RawNode raw;
    private final NodeStorage storage;
    private final MessageSink sink;
    private final ApplyHandoff applier;
    private final WriteExecutor writes;
    private final NodeMetrics metrics;
    private final NodeStatusView view;

    private final ProposalTracker proposals = new ProposalTracker();
    private final ReadTracker reads;
    private final List<PendingTransfer> transfers = new ArrayList<>();

    /** The Ready whose synced write is in flight on the write executor, and the snapshot file it installs. */
    private Ready inFlight;
    private SnapshotFile inFlightSnapshot;
    /** With {@link Defect#APPLY_BEFORE_SNAPSHOT} only: a snapshot waiting to be installed after the next Ready. */
    private Ready lateSnapshotReady;
    private SnapshotFile lateSnapshotFile;

    private final SnapshotFiles files;
    private boolean captureRequested;
    private boolean syncRequested;
    private long compactTo = -1;
    private long lastSyncRequestNanos;
    /** Snapshot transfers in progress, by peer: the log is not compacted past what they send. */
    private final Map<String, Long> sendingSnapshots = new HashMap<>();

    private Role role = Role.FOLLOWER;
    private String leader = "";
    private long term;

    /**
     * @param configuredAddresses each member's address as the node was started with, by id: used for members whose
     *     address the membership does not record
     * @param clock nanoseconds on a monotonic clock ({@code System::nanoTime}, or a simulation's virtual time)
     * @param writes where synced writes run with async persist (null without it)
     * @param readNonce a number drawn at random for this incarnation of the node
     */
    CoreDriver(String id, Map<String, String> configuredAddresses, Settings settings, long readNonce,
            LongSupplier clock, RawNode raw,
            NodeStorage storage, SnapshotDirectory snapshots, SnapshotFile baseFile, SnapshotFile sendable,
            MessageSink sink, ApplyHandoff applier, WriteExecutor writes, NodeMetrics metrics, NodeStatusView view) {
        this.id = id;
        this.members = new GroupMembership(id, configuredAddresses, sink, view, metrics.membership());
        this.settings = settings;
        this.reads = new ReadTracker(raw, readNonce, this::notLeader);
        this.clock = clock;
        this.raw = raw;
        this.storage = storage;
        this.files = new SnapshotFiles(snapshots, baseFile, sendable);
        this.sink = sink;
        this.applier = applier;
        this.writes = writes;
        this.metrics = metrics;
        this.view = view;
        this.term = raw.term();
        storage.setSnapshotOffer(this::offerSnapshot);
        members.follow(raw.membership());
        publishStatus();
    }

    // ---------------------------------------------------------------- inputs

    void step(Message m) {
        MessageType type = m.getType();
        if (type == MessageType.MSG_APPEND_RESPONSE && m.getReject() && role == Role.LEADER) {
            metrics.appendRejected();
        }
        raw.step(m);
        if ((type == MessageType.MSG_APPEND || type == MessageType.MSG_HEARTBEAT)
                && m.getFrom().equals(raw.leader())) {
            view.lastContactNanos = clock.getAsLong();
        }
    }

    void propose(PendingProposal p) {
        ProposeResult result = raw.propose(UnsafeByteOperations.unsafeWrap(p.data));
        switch (result) {
            case ProposeResult.Accepted a -> {
                p.id = a.id();
                proposals.add(p);
                p.accepted.complete(Events.proposal(p));
                if (settings.defect() == Defect.ACK_PROPOSAL_BEFORE_PERSIST) {
                    p.complete(new byte[0]);
                }
            }
            case ProposeResult.NotLeader n -> p.refuse(notLeader(n.leaderId()));
            case ProposeResult.Dropped d -> p.refuse(notLeader(""));
        }
    }

    /** A read barrier; every barrier asked before the next {@link #process} shares one ReadIndex request. */
    void read(Events.Read r) {
        reads.ask(r);
    }

    /** A membership change: proposed if this node leads; its future completes once it commits. */
    void changeMembership(Events.ChangeMembership c) {
        members.propose(raw, c, this::notLeader);
    }

    void transfer(Events.Transfer t) {
        if (!raw.membership().isVoter(t.target())) {
            t.future().completeExceptionally(new IllegalArgumentException(t.target() + " is not a voter"));
            return;
        }
        if (raw.leader().equals(t.target())) {
            t.future().complete(null);
            return;
        }
        if (!raw.transferLeadership(t.target())) {
            t.future().completeExceptionally(notLeader(raw.leader()));
            return;
        }
        transfers.add(new PendingTransfer(t.target(), t.future(), clock.getAsLong()
                + settings.transferTimeoutNanos()));
    }

    /** A snapshot file arrived from the leader with its MSG_SNAPSHOT message. */
    void snapshotArrived(Events.SnapshotArrived arrived) {
        files.stage(arrived.message().getSnapshot(), arrived.file());
        view.lastContactNanos = clock.getAsLong();
        raw.step(arrived.message());
    }

    void snapshotSent(String peer, boolean success) {
        sendingSnapshots.remove(peer);
        if (!success) {
            metrics.snapshotSendFailed();
        }
        raw.reportSnapshot(peer, success);
    }

    void unreachable(String peer) {
        raw.reportUnreachable(peer);
    }

    /** The state machine made everything up to {@code index} durable: the log may be compacted up to there. */
    void synced(long index) {
        syncRequested = false;
        compactTo = Math.max(compactTo, index);
    }

    /** A snapshot this node captured is written (null: capturing failed). */
    void captured(SnapshotFile file) {
        captureRequested = false;
        if (file == null) {
            return;
        }
        metrics.snapshotCaptured();
        files.captured(file, storage.snapshotIndex());
    }

    /** Deletes a received snapshot file that will never be stepped (the node is stopping). */
    void discardArrived(SnapshotFile file) {
        files.discard(file);
    }

    void tick() {
        raw.tick();
        if (role == Role.LEADER) {
            members.publishLearnerLags(raw);
        }
        long now = clock.getAsLong();
        maybeRequestSync(now);
        reads.retryOrExpire(now, settings.readRetryNanos(), settings.readTimeoutNanos());
        for (Iterator<PendingTransfer> it = transfers.iterator(); it.hasNext(); ) {
            PendingTransfer t = it.next();
            if (now - t.deadlineNanos() > 0) {
                it.remove();
                t.future().completeExceptionally(new TimeoutException("leadership did not move to " + t.target()
                        + " within " + DurationConverter.text(Duration.ofNanos(settings.transferTimeoutNanos()))));
            }
        }
    }

    /**
     * Starts the read barriers asked since the last call and, unless a write is in flight, compacts the log if it may
     * and handles the next Ready. Returns whether a Ready was handled (there may be another).
     */
    boolean process() throws IOException {
        reads.startAsked(clock);
        boolean handled = false;
        if (inFlight == null) {
            maybeCompact();
            if (raw.hasReady()) {
                handleReady(raw.ready());
                handled = true;
            }
        }
        publishStatus();
        return handled;
    }

    // ---------------------------------------------------------------- Ready handling

    private void handleReady(Ready rd) throws IOException {
        members.follow(raw.membership()); // the Ready's messages may go to a member its entries add
        // Before the role: a leader that removed itself steps down in the Ready that commits its removal.
        members.committed(rd.committedEntries(), raw);
        if (rd.softState() != null) {
            onSoftState(rd.softState());
        }
        HardState hs = rd.hardState();
        if (hs != null && hs.getTerm() != term) {
            if (hs.getVote().equals(id)) {
                metrics.electionStarted();
            }
            proposals.failOlderThan(hs.getTerm(), "the term moved on from " + term + " to " + hs.getTerm());
            term = hs.getTerm();
        }
        SnapshotMetadata snapshot = rd.snapshot();
        SnapshotFile installing = files.takeStaged(snapshot);
        sendAll(rd.messages());
        if (settings.defect() == Defect.RESPOND_BEFORE_FSYNC) {
            sendAll(rd.messagesAfterPersist());
        }

        boolean sync = rd.mustSync() && !(settings.defect() == Defect.UNSYNCED_HARD_STATE && rd.entries().isEmpty()
                && snapshot == null);
        LogWrite write = new LogWrite(snapshot, rd.entries(), hs, sync);
        if (write.isEmpty()) {
            finishReady(rd, null, installing);
            return;
        }
        NodeStorage.PendingWrite pending = storage.plan(write);
        if (write.sync() && settings.asyncPersist()) {
            inFlight = rd;
            inFlightSnapshot = installing;
            writes.submit(pending);
        } else {
            storage.execute(pending);
            finishReady(rd, pending, installing);
        }
    }

    /** The write executor finished the write of the Ready in flight (error null), or failed it. */
    void writeDone(NodeStorage.PendingWrite write, Throwable error) {
        if (error != null) {
            throw new IllegalStateException("cannot persist the raft log: " + error.getMessage(), error);
        }
        Ready rd = inFlight;
        SnapshotFile installing = inFlightSnapshot;
        inFlight = null;
        inFlightSnapshot = null;
        finishReady(rd, write, installing);
    }

    /** The Ready's write is durable (or there was none): let everything that waited on it go. */
    private void finishReady(Ready rd, NodeStorage.PendingWrite write, SnapshotFile installing) {
        if (write != null) {
            storage.publish(write);
            metrics.recordWrite(write.writeNanos(), write.write().entries().size(), write.write().sync());
        }
        Ready lateInstall = lateSnapshotReady;
        SnapshotFile lateFile = lateSnapshotFile;
        lateSnapshotReady = null;
        lateSnapshotFile = null;
        if (installing != null && settings.defect() == Defect.APPLY_BEFORE_SNAPSHOT) {
            lateSnapshotReady = rd;
            lateSnapshotFile = installing;
        } else if (installing != null) {
            installSnapshot(rd.snapshot(), installing);
        }
        if (settings.defect() != Defect.RESPOND_BEFORE_FSYNC) {
            if (write != null) {
                Failpoints.hit(Failpoints.RAFT_BEFORE_SEND_AFTER_PERSIST);
            }
            sendAll(rd.messagesAfterPersist());
        }
        List<Entry> committed = rd.committedEntries();
        if (!committed.isEmpty()) {
            PendingProposal[] matched = proposals.match(committed, clock.getAsLong(), metrics::recordCommit);
            applier.apply(committed, matched);
        }
        if (lateInstall != null) {
            installSnapshot(lateInstall.snapshot(), lateFile);
        }
        for (ReadState rs : rd.readStates()) {
            ReadTracker.Group group = reads.take(rs.context());
            if (group != null) {
                applier.releaseAt(rs.index(), group.futures);
            }
        }
        if (rd.hardState() != null) {
            view.commitIndex = rd.hardState().getCommit();
        }
        raw.advance(rd);
        maybeRequestSync(clock.getAsLong());
    }

    /**
     * Once the log passes its size limit, asks the state machine to make what it applied durable: the log can then
     * be compacted up to there. At most once per tick, and only when something applied could go.
     */
    private void maybeRequestSync(long now) {
        if (settings.maxRaftStateBytes() <= 0 || syncRequested || storage.logBytes() <= settings.maxRaftStateBytes()
                || applier.applied() <= storage.base().getIndex()
                || now - lastSyncRequestNanos < settings.tickNanos()) {
            return;
        }
        syncRequested = true;
        lastSyncRequestNanos = now;
        applier.requestSync();
    }

    private void installSnapshot(SnapshotMetadata metadata, SnapshotFile file) {
        Failpoints.hit(Failpoints.RAFT_SNAPSHOT_BEFORE_RESTORE);
        files.installed(file);
        InputStream body;
        try {
            body = file.openBody();
        } catch (IOException e) {
            throw new IllegalStateException("cannot open the received snapshot " + file.path(), e);
        }
        applier.restore(metadata, body);
        LOG.info("{}: installing snapshot {} (term {}) from the leader", id, metadata.getIndex(), metadata.getTerm());
    }

    private void onSoftState(SoftState soft) {
        Role newRole = soft.role();
        String newLeader = soft.leader();
        if (!newLeader.equals(leader)) {
            if (!newLeader.isEmpty()) {
                metrics.leaderChanged();
                LOG.info("{}: leader is now {} (term {})", id, newLeader, raw.term());
            }
            reads.failWaiting(() -> notLeader(newLeader));
        }
        if (role == Role.LEADER && newRole != Role.LEADER) {
            proposals.failAll("this node stopped being the leader");
            members.failPending("this node stopped being the leader");
            members.publishLearnerLags(null);
            reads.failWaiting(() -> notLeader(newLeader));
            sendingSnapshots.clear();
        }
        role = newRole;
        leader = newLeader;
        members.leaderIs(newLeader);
        if (!newLeader.isEmpty()) {
            for (Iterator<PendingTransfer> it = transfers.iterator(); it.hasNext(); ) {
                PendingTransfer t = it.next();
                it.remove();
                if (newLeader.equals(t.target())) {
                    t.future().complete(null);
                } else {
                    t.future().completeExceptionally(new IllegalStateException("leadership went to " + newLeader
                            + " instead of " + t.target()));
                }
            }
        }
    }

    private void sendAll(List<Message> messages) {
        if (messages.isEmpty()) {
            return;
        }
        for (Message m : messages) {
            switch (m.getType()) {
                case MSG_SNAPSHOT -> {
                    sendSnapshot(m);
                    continue;
                }
                case MSG_APPEND -> metrics.appendSent();
                default -> {
                }
            }
            if (!sink.send(m)) {
                metrics.outboundDropped();
                raw.reportUnreachable(m.getTo());
            }
        }
        sink.flush();
    }

    private void sendSnapshot(Message m) {
        SnapshotMetadata wanted = m.getSnapshot();
        SnapshotFile file = files.find(wanted);
        if (file == null) {
            LOG.warn("{}: the core sends snapshot {} but its file is gone", id, wanted.getIndex());
            raw.reportSnapshot(m.getTo(), false);
            return;
        }
        metrics.snapshotSendStarted();
        sendingSnapshots.put(m.getTo(), file.index());
        LOG.info("{}: sending snapshot {} ({} bytes) to {}", id, file.index(), file.fileLength(), m.getTo());
        sink.sendSnapshot(m, file);
    }

    // ---------------------------------------------------------------- snapshots and compaction

    /** What {@link io.raftkv.raft.core.LogStorage#snapshot()} answers: a file that covers the compacted prefix. */
    private Optional<SnapshotMetadata> offerSnapshot() {
        SnapshotFile best = files.covering(storage.snapshotIndex());
        if (best != null) {
            return Optional.of(best.metadata());
        }
        if (!captureRequested) {
            captureRequested = true;
            applier.requestCapture(); // the leader asks again on a later heartbeat
            LOG.info("{}: a follower needs a snapshot; capturing one", id);
        }
        return Optional.empty();
    }

    /** Compacts the log up to what the state machine made durable, once no write is in flight. */
    private void maybeCompact() throws IOException {
        if (compactTo < 0) {
            return;
        }
        // Keep a tail of recent entries, so a follower that is only a little behind catches up from the log rather
        // than with a whole snapshot; but never so much that the log stays above half its size limit.
        long keep = Math.max(storage.lastIndex() - settings.catchUpEntries(),
                storage.indexKeepingAtMost(settings.maxRaftStateBytes() / 2));
        long target = Math.min(compactTo, keep);
        for (long sending : sendingSnapshots.values()) {
            target = Math.min(target, sending); // the follower needs the entries after the snapshot it gets
        }
        if (target <= storage.base().getIndex()) {
            if (sendingSnapshots.isEmpty()) {
                compactTo = -1;
            }
            return;
        }
        storage.compact(target, raw.membershipAt(target).toConfState());
        metrics.compacted();
        if (target >= compactTo) {
            compactTo = -1;
        }
        files.compacted(storage.snapshotIndex(), sendingSnapshots.values());
        LOG.debug("{}: compacted the log up to {} ({} bytes left)", id, target, storage.logBytes());
    }

    // ---------------------------------------------------------------- status and shutdown

    private void publishStatus() {
        view.role = role;
        view.term = raw.term();
        view.leader = leader;
        view.firstIndex = storage.firstIndex();
        view.lastIndex = storage.lastIndex();
        if (role == Role.LEADER) {
            view.lastContactNanos = clock.getAsLong();
        }
    }

    /** The core's status. */
    RaftStatus coreStatus() {
        return raw.status();
    }

    NotLeaderException notLeader(String leaderId) {
        return new NotLeaderException(leaderId, leaderId.isEmpty() ? "" : members.address(leaderId));
    }

    /** Fails everything that waits on the core: the node stops ({@code error} says why). */
    void failAll(String why, RuntimeException error) {
        proposals.failAll(why);
        members.failPending(why);
        reads.failAll(error);
        for (PendingTransfer t : transfers) {
            t.future().completeExceptionally(error);
        }
        transfers.clear();
        view.role = Role.FOLLOWER;
        view.leader = "";
    }

    private record PendingTransfer(String target, CompletableFuture<Void> future, long deadlineNanos) {}
}
