package io.raftkv.raft.sim;

import com.google.protobuf.ByteString;
import io.raftkv.proto.raft.ConfChange;
import io.raftkv.proto.raft.Entry;
import io.raftkv.proto.raft.Message;
import io.raftkv.proto.raft.SnapshotMetadata;
import io.raftkv.raft.api.NotLeaderException;
import io.raftkv.raft.api.Proposal;
import io.raftkv.raft.api.StateMachine;
import io.raftkv.raft.core.EntryId;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.ProposeResult;
import io.raftkv.raft.core.RaftConfig;
import io.raftkv.raft.core.RaftStatus;
import io.raftkv.raft.core.RawNode;
import io.raftkv.raft.core.Role;
import io.raftkv.raft.core.MemoryStorage;
import io.raftkv.raft.core.SoftState;
import io.raftkv.raft.runtime.SimDriver;
import io.raftkv.raft.storage.NodeStorage;
import io.raftkv.raft.storage.SnapshotDirectory;
import io.raftkv.raft.storage.SnapshotFile;
import io.raftkv.raft.transport.MessageSink;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * One simulated node: the production runtime's {@link io.raftkv.raft.runtime.SimDriver driver} (the code that orders
 * persist, send, apply, snapshot install and proposal replies) over a {@link RawNode}, with a simulated disk
 * ({@link SimLogStorage}, plus snapshot files and the state machine's durable image), the simulated network, and an
 * apply side ({@link SimApplier}) that runs like the apply thread, in virtual time.
 *
 * <p>What this class adds is fault injection (crash and restart) and bookkeeping: the safety checker's hooks, the
 * trace and the {@link SimListener}s. A crash keeps the disk; everything else (the core, the driver, the state
 * machine, writes whose fsync had not finished) is lost.
 *
 * <p>Client actors use this handle: {@link #propose}, {@link #readIndex}, {@link #transferLeadership}, and observe
 * results through {@link SimListener}.
 */
public final class SimNode {
    private final Simulation sim;
    private final String id;
    private final int index;
    private final RaftConfig baseConfig;
    private final SimLogStorage storage;
    private final SnapshotDirectory snapshots;
    /** The state machine's durable image: what its last sync or restore made survive a crash (null: none yet). */
    private SnapshotMetadata imageMetadata;
    private byte[] image;

    private boolean up;
    private int incarnation;
    private RawNode raw;
    private SimDriver driver;
    private SimApplier applier;
    private StateMachine stateMachine;
    private boolean processScheduled;
    private long checkCompletenessTerm = -1;
    private boolean pendingCompletenessCheck;
    private long lastLeaderTermSeen = -1;
    private SoftState softState = new SoftState(Role.FOLLOWER, "");
    private long readCounter;

    SimNode(Simulation sim, String id, int index, RaftConfig baseConfig) {
        this.sim = sim;
        this.id = id;
        this.index = index;
        this.baseConfig = baseConfig;
        this.storage = new SimLogStorage(baseConfig.initialMembership().toConfState());
        this.storage.onWrite(write -> onPersisted(write.entries(), write.snapshot()));
        try {
            this.snapshots = SnapshotDirectory.open(SimDisks.newNodeDirectory(id));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public String id() {
        return id;
    }

    int index() {
        return index;
    }

    int incarnation() {
        return incarnation;
    }

    Simulation sim() {
        return sim;
    }

    public boolean isUp() {
        return up;
    }

    /** The node's log as it last wrote it (what its disk holds after a crash that keeps unsynced writes). */
    public MemoryStorage storage() {
        return storage.view();
    }

    /** The size in bytes of the state machine's durable image (0 if none): the lab's SnapshotSize(). */
    public int snapshotSize() {
        return image == null ? 0 : image.length;
    }

    /** The state machine of the running incarnation (null while down). */
    public StateMachine stateMachine() {
        return stateMachine;
    }

    public Role role() {
        return up ? raw.role() : Role.FOLLOWER;
    }

    public boolean isLeader() {
        return up && raw.role() == Role.LEADER;
    }

    public long term() {
        return up ? raw.term() : storage.hardState().getTerm();
    }

    /** The leader this node knows of ("" if none or down). */
    public String leader() {
        return up ? raw.leader() : "";
    }

    public RaftStatus status() {
        if (!up) {
            throw new IllegalStateException(id + " is down");
        }
        return raw.status();
    }

    // ---------------------------------------------------------------- client handle

    /**
     * Proposes a command through the runtime's driver; a node that is down answers like a follower that knows no
     * leader. A leader that refuses (a leadership transfer is under way) answers {@link ProposeResult.Dropped}.
     */
    public ProposeResult propose(byte[] command) {
        if (!up) {
            return new ProposeResult.NotLeader("");
        }
        if (raw.role() != Role.LEADER) {
            return new ProposeResult.NotLeader(raw.leader()); // what the driver answers, without its exception
        }
        CompletableFuture<Proposal> accepted = driver.propose(command);
        ProposeResult result;
        try {
            Proposal proposal = accepted.join();
            result = new ProposeResult.Accepted(proposal.id());
            sim.trace().record(sim.now(), id, "propose", result);
            ByteString data = ByteString.copyFrom(command);
            proposal.applied().thenAccept(reply -> checkReply(proposal.id(), data));
        } catch (RuntimeException e) {
            result = raw.role() == Role.LEADER ? new ProposeResult.Dropped("refused by the leader: " + e.getCause())
                    : new ProposeResult.NotLeader(leaderOf(e));
        }
        afterInput();
        return result;
    }

    /**
     * Proposes a command as the runtime's RaftService does: the future completes when the proposal is accepted (or
     * fails if it is refused), and its {@code applied} future when the entry is applied here.
     */
    public CompletableFuture<Proposal> proposeAsync(byte[] command) {
        if (!up) {
            return CompletableFuture.failedFuture(new NotLeaderException("", ""));
        }
        CompletableFuture<Proposal> accepted = driver.propose(command);
        afterInput();
        return accepted;
    }

    /**
     * Starts a read barrier through the runtime's driver; returns its token, which {@link SimListener#onReadState}
     * carries once the barrier is confirmed, or null if this node knows no leader (or is down).
     */
    public ByteString readIndex() {
        if (!up || raw.leader().isEmpty()) {
            return null;
        }
        ByteString token = ByteString.copyFromUtf8(id + "/" + incarnation + "/" + (++readCounter));
        sim.checker().onReadRequested(token);
        applier.track(driver.readBarrier(), token);
        scheduleTurn();
        return token;
    }

    /** A read barrier as the runtime's RaftService gives it: completes once confirmed and applied here. */
    public CompletableFuture<Void> readBarrier() {
        if (!up) {
            return CompletableFuture.failedFuture(new NotLeaderException("", ""));
        }
        CompletableFuture<Void> barrier = driver.readBarrier();
        scheduleTurn();
        return barrier;
    }

    public boolean transferLeadership(String transferee) {
        return up && !transferAsync(transferee).isCompletedExceptionally();
    }

    /** A leadership transfer as the runtime's RaftService gives it: completes once {@code transferee} leads. */
    public CompletableFuture<Void> transferAsync(String transferee) {
        if (!up) {
            return CompletableFuture.failedFuture(new NotLeaderException("", ""));
        }
        CompletableFuture<Void> done = driver.transferLeadership(transferee);
        sim.trace().record(sim.now(), id, "transfer", transferee + " started=" + !done.isCompletedExceptionally());
        afterInput();
        return done;
    }

    /** Campaigns now instead of waiting for the election timeout. */
    public void campaign() {
        if (up) {
            raw.campaign();
            afterInput();
        }
    }

    /** The proposer of {@code entry} was told it was applied; a violation surfaces as the simulation's next step. */
    private void checkReply(EntryId entry, ByteString data) {
        try {
            sim.checker().onProposalApplied(id, entry, data);
        } catch (SafetyViolation v) {
            sim.scheduler().after(0, () -> {
                throw v;
            });
        }
    }

    private static String leaderOf(RuntimeException e) {
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        return cause instanceof NotLeaderException n ? n.leaderId() : "";
    }

    // ---------------------------------------------------------------- lifecycle

    void start() {
        up = true;
        incarnation++;
        stateMachine = sim.config().stateMachines().apply(id);
        if (image != null && stateMachine.appliedIndex() < imageMetadata.getIndex()) {
            SimApplier.restore(stateMachine, imageMetadata, image);
        }
        List<SnapshotFile> files;
        try {
            files = snapshots.verifyAll();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        SnapshotMetadata base = storage.base();
        SnapshotFile baseFile = SimDriver.find(files, base);
        if (stateMachine.appliedIndex() < base.getIndex()) {
            // As the runtime starts: a state machine behind the log's base catches up from the base's file.
            if (baseFile == null) {
                throw new IllegalStateException(id + " has applied " + stateMachine.appliedIndex()
                        + " but its log starts after " + base.getIndex() + " and no snapshot file covers it");
            }
            try (InputStream body = baseFile.openBody()) {
                stateMachine.restoreSnapshot(base.getIndex(), base.getTerm(), body);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        long applied = stateMachine.appliedIndex();
        sim.checker().onRestart(id, applied, imageMetadata == null ? 0 : imageMetadata.getIndex(),
                imageMetadata == null ? 0 : imageMetadata.getTerm());
        checkDigest();
        if (sim.mutation() == Mutation.FORGET_VOTE_ON_RESTART) {
            storage.overwriteHardState(storage.hardState().toBuilder().clearVote().build());
        }
        raw = new RawNode(baseConfig.withApplied(applied), storage, sim.random());
        SnapshotFile sendable = SimDriver.keepSendable(snapshots, files, base, baseFile,
                Math.max(applied, storage.hardState().getCommit()));
        long appliedTerm = applied == base.getIndex() ? base.getTerm()
                : applied > base.getIndex() && applied <= storage.lastIndex() ? storage.term(applied)
                : imageMetadata != null && imageMetadata.getIndex() == applied ? imageMetadata.getTerm() : 0;
        int inc = incarnation;
        applier = new SimApplier(this, inc, stateMachine, applied, appliedTerm, raw.membershipAt(applied));
        SimConfig config = sim.config();
        long tickNanos = config.tickMicros() * 1_000;
        SimDriver.Timing timing = new SimDriver.Timing(tickNanos, baseConfig.electionTicks(), 50 * tickNanos,
                config.snapshotLogBytes(), 0);
        driver = new SimDriver(id, config.ids(), timing, sim.mutation().driverDefect(), sim.random().nextLong(), () -> sim.now() * 1_000, raw,
                storage, snapshots, baseFile, sendable, new Sink(inc), applier, this::persistLater);
        lastLeaderTermSeen = -1;
        checkCompletenessTerm = -1;
        pendingCompletenessCheck = false;
        softState = new SoftState(Role.FOLLOWER, "");
        processScheduled = false;
        long phase = sim.random().nextLong(config.tickMicros());
        sim.scheduler().after(phase, () -> tick(inc));
    }

    void crash() {
        if (!up) {
            return;
        }
        up = false;
        incarnation++;
        raw = null;
        driver = null;
        applier = null;
        try {
            stateMachine.close();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        stateMachine = null;
        processScheduled = false;
        // A disk that acknowledged fsyncs it never did loses everything it was given, the state machine's part too.
        boolean lyingDisk = sim.mutation() == Mutation.LYING_FSYNC;
        storage.crash(lyingDisk ? CrashLoss.UNSYNCED_TAIL : sim.config().crashLoss(), sim.random());
        if (lyingDisk) {
            imageMetadata = null;
            image = null;
        }
    }

    private void tick(int inc) {
        if (inc != incarnation) {
            return;
        }
        driver.tick();
        afterInput();
        sim.scheduler().after(sim.config().tickMicros(), () -> tick(inc));
    }

    void receive(Message message, byte[] snapshotData) {
        if (snapshotData != null) {
            SnapshotFile file;
            try {
                file = snapshots.write(message.getSnapshot(), out -> out.write(snapshotData));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            driver.snapshotArrived(message, file);
        } else {
            driver.step(message);
        }
        afterInput();
    }

    /** The sender side of a snapshot transfer learns how it ended, as the transport would report it. */
    void snapshotTransferEnded(int senderIncarnation, String target, boolean delivered) {
        if (senderIncarnation != incarnation || !up) {
            return;
        }
        driver.snapshotSent(target, delivered);
        afterInput();
    }

    // ---------------------------------------------------------------- driving the runtime

    /** After any input: note a new leader for the checker, and give the driver a turn if the core has work. */
    void afterInput() {
        if (raw.role() == Role.LEADER && raw.term() != lastLeaderTermSeen) {
            lastLeaderTermSeen = raw.term();
            sim.checker().onLeader(id, raw.term());
            sim.trace().record(sim.now(), id, "leader", "term " + raw.term());
        }
        if (raw.hasReady()) {
            scheduleTurn();
        }
    }

    /** The driver takes a turn soon (the event loop's latency): it starts reads, compacts, handles a Ready. */
    void scheduleTurn() {
        if (!processScheduled) {
            processScheduled = true;
            int inc = incarnation;
            long max = sim.config().readyDelayMaxMicros();
            sim.scheduler().after(max > 0 ? sim.random().nextLong(max + 1) : 0, () -> process(inc));
        }
    }

    /** One turn of the event loop: the driver starts reads, compacts, and handles the next Ready. */
    private void process(int inc) {
        if (inc != incarnation) {
            return;
        }
        processScheduled = false;
        if (raw.role() == Role.LEADER && raw.term() != checkCompletenessTerm) {
            checkCompletenessTerm = raw.term();
            pendingCompletenessCheck = true;
        }
        boolean handled = driver.process();
        SoftState now = new SoftState(raw.role(), raw.leader());
        if (!now.equals(softState)) {
            softState = now;
            sim.trace().record(sim.now(), id, "soft", now);
            for (SimListener l : sim.listeners()) {
                l.onSoftState(this, now);
            }
        }
        if (handled && up && inc == incarnation) {
            afterInput();
        }
    }

    /** The write side: a synced write completes after a random fsync latency; a crash meanwhile loses it. */
    private void persistLater(NodeStorage.PendingWrite write) {
        int inc = incarnation;
        SimConfig config = sim.config();
        long latency = config.syncMinMicros()
                + sim.random().nextLong(config.syncMaxMicros() - config.syncMinMicros() + 1);
        if (sim.mutation() == Mutation.LYING_FSYNC) {
            // The bug: the write counts as durable at once, so acknowledgements leave at once, while the disk makes
            // it durable only after the fsync's latency; a crash before then loses what was acknowledged.
            storage.ignoreSync(true);
            storage.execute(write);
            driver.writeDone(write);
            afterInput();
            sim.scheduler().after(latency, () -> {
                if (inc == incarnation) {
                    storage.flush();
                }
            });
            return;
        }
        sim.scheduler().after(latency, () -> {
            if (inc != incarnation) {
                return; // crashed while writing: the write never reached the disk
            }
            storage.execute(write);
            driver.writeDone(write);
            afterInput();
        });
    }

    private void onPersisted(List<Entry> entries, SnapshotMetadata snapshot) {
        MemoryStorage log = storage.view();
        sim.checker().onPersisted(id, log, entries, snapshot == null ? 0 : snapshot.getIndex(),
                snapshot == null ? 0 : snapshot.getTerm(), log.hardState().getCommit());
        if (pendingCompletenessCheck) {
            pendingCompletenessCheck = false;
            sim.checker().checkLeaderCompleteness(id, checkCompletenessTerm, log);
        }
        if (snapshot != null) {
            sim.trace().record(sim.now(), id, "install", "snapshot " + snapshot.getIndex());
        }
    }

    // ---------------------------------------------------------------- for the apply side

    boolean isIncarnation(int inc) {
        return up && inc == incarnation;
    }

    SimDriver driver() {
        return driver;
    }

    SnapshotDirectory snapshots() {
        return snapshots;
    }

    /** The membership this node's log establishes (it must be up). */
    public Membership membership() {
        if (!up) {
            throw new IllegalStateException(id + " is down");
        }
        return raw.membership();
    }

    /**
     * Proposes a membership change to this node's core; the entry goes out with the node's next turn. Returns what
     * the core answered ({@link ProposeResult.NotLeader} while down).
     */
    public ProposeResult proposeMembershipChange(ConfChange change) {
        if (!up) {
            return new ProposeResult.NotLeader("");
        }
        ProposeResult result = raw.proposeMembershipChange(change);
        sim.trace().record(sim.now(), id, "membership change " + change.getType() + " " + change.getNode(), result);
        scheduleTurn();
        return result;
    }

    /** The state machine made its state up to {@code metadata} durable: a restart restores from these bytes. */
    void keepImage(SnapshotMetadata metadata, byte[] bytes) {
        imageMetadata = metadata;
        image = bytes;
    }

    long imageIndex() {
        return imageMetadata == null ? 0 : imageMetadata.getIndex();
    }

    void checkDigest() {
        if (stateMachine instanceof Digestible d) {
            sim.checker().checkDigest(id, stateMachine.appliedIndex(), d.digest());
        }
    }

    /** The simulated network as the driver's message sink. */
    private final class Sink implements MessageSink {
        private final int inc;

        Sink(int inc) {
            this.inc = inc;
        }

        @Override
        public void connect(Map<String, String> members) {
            // The simulated network reaches every node by its id: there is nothing to open or close.
        }

        @Override
        public boolean send(Message message) {
            if (inc == incarnation) {
                sim.network().send(SimNode.this, message, null);
            }
            return true;
        }

        @Override
        public void sendSnapshot(Message message, SnapshotFile file) {
            byte[] body;
            try (InputStream in = file.openBody()) {
                body = in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            sim.network().send(SimNode.this, message, body);
        }

        @Override
        public void flush() {
        }
    }

    @Override
    public String toString() {
        if (!up) {
            return id + "[down, term " + storage.hardState().getTerm() + ", log " + storage.firstIndex() + ".."
                    + storage.lastIndex() + "]";
        }
        RaftStatus s = raw.status();
        return id + "[" + s.role() + " term " + s.term() + " leader " + s.leader() + " commit " + s.commitIndex()
                + " applied " + s.appliedIndex() + " log " + s.firstIndex() + ".." + s.lastIndex()
                + (processScheduled ? " turn-scheduled" : "")
                + (s.followers().isEmpty() ? "" : " " + s.followers()) + "]";
    }
}
