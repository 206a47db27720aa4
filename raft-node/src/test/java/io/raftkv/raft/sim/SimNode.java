package io.raftkv.raft.sim;

import com.google.protobuf.ByteString;
import io.raftkv.proto.raft.ConfState;
import io.raftkv.proto.raft.Entry;
import io.raftkv.proto.raft.HardState;
import io.raftkv.proto.raft.Message;
import io.raftkv.proto.raft.MessageType;
import io.raftkv.proto.raft.SnapshotMetadata;
import io.raftkv.raft.core.EntryId;
import io.raftkv.raft.core.Role;
import io.raftkv.raft.api.SnapshotSource;
import io.raftkv.raft.api.StateMachine;
import io.raftkv.raft.core.EntryId;
import io.raftkv.raft.core.MemoryStorage;
import io.raftkv.raft.core.ProposeResult;
import io.raftkv.raft.core.RaftConfig;
import io.raftkv.raft.core.RaftStatus;
import io.raftkv.raft.core.RawNode;
import io.raftkv.raft.core.ReadState;
import io.raftkv.raft.core.Ready;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One simulated node: a {@link RawNode} driven the way the real runtime drives it, its disk, and its state machine.
 *
 * <p>The disk is the {@link MemoryStorage} plus the latest snapshot's bytes; it survives crashes. Everything else
 * (the core, the state machine, snapshot bytes received but not yet installed) is lost in a crash. A Ready is handled
 * in two steps: when it is taken, {@link Ready#messages()} go out at once; when its write completes (after a random
 * fsync latency if it must sync) it is persisted, {@link Ready#messagesAfterPersist()} go out, the snapshot and
 * committed entries are applied, and the node advances. A crash between the two loses the write, as a real crash
 * would lose an unsynced write.
 *
 * <p>Client actors use this handle: {@link #propose}, {@link #readIndex}, {@link #transferLeadership}, and observe
 * results through {@link SimListener}.
 */
public final class SimNode {
    private final Simulation sim;
    private final String id;
    private final int index;
    private final RaftConfig baseConfig;
    private final ConfState confState;
    private final MemoryStorage storage;
    private SnapshotMetadata snapshotMetadata;
    private byte[] snapshotBytes;

    private boolean up;
    private int incarnation;
    private RawNode raw;
    private StateMachine stateMachine;
    private boolean readyScheduled;
    private boolean writing;
    private long checkCompletenessTerm = -1;
    private long lastLeaderTermSeen = -1;
    private final Map<EntryId, byte[]> stagedSnapshots = new HashMap<>();
    private long readCounter;

    SimNode(Simulation sim, String id, int index, RaftConfig baseConfig) {
        this.sim = sim;
        this.id = id;
        this.index = index;
        this.baseConfig = baseConfig;
        this.confState = ConfState.newBuilder().addAllVoters(baseConfig.voters()).build();
        this.storage = new MemoryStorage(confState);
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

    public boolean isUp() {
        return up;
    }

    /** The node's disk: what it has persisted (survives crashes). */
    public MemoryStorage storage() {
        return storage;
    }

    /** The size in bytes of the snapshot this node holds on its disk (0 if none): the lab's SnapshotSize(). */
    public int snapshotSize() {
        return snapshotBytes == null ? 0 : snapshotBytes.length;
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

    /** Proposes a command here; a node that is down answers like a follower that knows no leader. */
    public ProposeResult propose(byte[] command) {
        if (!up) {
            return new ProposeResult.NotLeader("");
        }
        ProposeResult r = raw.propose(ByteString.copyFrom(command));
        if (r instanceof ProposeResult.Accepted) {
            sim.trace().record(sim.now(), id, "propose", r);
        }
        afterInput();
        return r;
    }

    /** Starts a read barrier; returns its context, or null if it could not start. */
    public ByteString readIndex() {
        if (!up) {
            return null;
        }
        ByteString context = ByteString.copyFromUtf8(id + "/" + incarnation + "/" + (++readCounter));
        sim.checker().onReadRequested(context);
        boolean started = raw.readIndex(context);
        afterInput();
        return started ? context : null;
    }

    public boolean transferLeadership(String transferee) {
        if (!up) {
            return false;
        }
        boolean started = raw.transferLeadership(transferee);
        sim.trace().record(sim.now(), id, "transfer", transferee + " started=" + started);
        afterInput();
        return started;
    }

    /** Campaigns now instead of waiting for the election timeout. */
    public void campaign() {
        if (up) {
            raw.campaign();
            afterInput();
        }
    }

    // ---------------------------------------------------------------- lifecycle

    void start() {
        up = true;
        incarnation++;
        stateMachine = sim.config().stateMachines().apply(id);
        if (snapshotMetadata != null && stateMachine.appliedIndex() < snapshotMetadata.getIndex()) {
            restore(stateMachine, snapshotMetadata, snapshotBytes);
        }
        long applied = stateMachine.appliedIndex();
        sim.checker().onRestart(id, applied, snapshotMetadata == null ? 0 : snapshotMetadata.getIndex(),
                snapshotMetadata == null ? 0 : snapshotMetadata.getTerm());
        checkDigest();
        if (sim.mutation() == Mutation.FORGET_VOTE_ON_RESTART) {
            storage.setHardState(storage.hardState().toBuilder().clearVote().build());
        }
        raw = new RawNode(baseConfig.withApplied(applied), storage, sim.random());
        lastLeaderTermSeen = -1;
        checkCompletenessTerm = -1;
        int inc = incarnation;
        long phase = sim.random().nextLong(sim.config().tickMicros());
        sim.scheduler().after(phase, () -> tick(inc));
    }

    void crash() {
        if (!up) {
            return;
        }
        up = false;
        incarnation++;
        raw = null;
        try {
            stateMachine.close();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        stateMachine = null;
        readyScheduled = false;
        writing = false;
        stagedSnapshots.clear();
    }

    private void tick(int inc) {
        if (inc != incarnation) {
            return;
        }
        raw.tick();
        afterInput();
        sim.scheduler().after(sim.config().tickMicros(), () -> tick(inc));
    }

    void receive(Message message, byte[] snapshotData) {
        if (snapshotData != null) {
            stagedSnapshots.put(EntryId.of(message.getSnapshot()), snapshotData);
        }
        raw.step(message);
        afterInput();
    }

    /** The sender side of a snapshot transfer learns how it ended, as the transport would report it. */
    void snapshotTransferEnded(int senderIncarnation, String target, boolean delivered) {
        if (senderIncarnation != incarnation || !up) {
            return;
        }
        raw.reportSnapshot(target, delivered);
        afterInput();
    }

    private void afterInput() {
        if (raw.role() == Role.LEADER && raw.term() != lastLeaderTermSeen) {
            lastLeaderTermSeen = raw.term();
            sim.checker().onLeader(id, raw.term());
            sim.trace().record(sim.now(), id, "leader", "term " + raw.term());
        }
        if (!readyScheduled && !writing && raw.hasReady()) {
            readyScheduled = true;
            int inc = incarnation;
            long max = sim.config().readyDelayMaxMicros();
            sim.scheduler().after(max > 0 ? sim.random().nextLong(max + 1) : 0, () -> takeReady(inc));
        }
    }

    // ---------------------------------------------------------------- Ready handling, as the runtime does it

    private void takeReady(int inc) {
        if (inc != incarnation) {
            return;
        }
        readyScheduled = false;
        if (!raw.hasReady()) {
            return;
        }
        Ready rd = raw.ready();
        if (raw.role() == Role.LEADER && raw.term() != checkCompletenessTerm) {
            checkCompletenessTerm = raw.term();
            pendingCompletenessCheck = true;
        }
        if (rd.softState() != null) {
            sim.trace().record(sim.now(), id, "soft", rd.softState());
            for (SimListener l : sim.listeners()) {
                l.onSoftState(this, rd.softState());
            }
        }
        sendAll(rd.messages());
        if (ackBeforePersist()) {
            sendAll(rd.messagesAfterPersist()); // the bug: promises go out before the write is durable
        }
        writing = true;
        long latency = rd.mustSync() ? sim.config().syncMinMicros()
                + sim.random().nextLong(sim.config().syncMaxMicros() - sim.config().syncMinMicros() + 1) : 0;
        if (latency == 0) {
            finishReady(inc, rd);
        } else {
            sim.scheduler().after(latency, () -> finishReady(inc, rd));
        }
    }

    private boolean pendingCompletenessCheck;

    private void finishReady(int inc, Ready rd) {
        if (inc != incarnation) {
            return; // crashed while writing: the write never reached the disk
        }
        SnapshotMetadata snapshot = rd.snapshot();
        byte[] installBytes = null;
        if (snapshot != null) {
            installBytes = stagedSnapshots.get(EntryId.of(snapshot));
            if (installBytes == null) {
                throw new IllegalStateException(id + " has no bytes for snapshot " + snapshot.getIndex());
            }
            // The snapshot bytes are persisted with their metadata: a restart restores the state machine from them.
            storage.applySnapshot(snapshot);
            snapshotMetadata = snapshot;
            snapshotBytes = installBytes;
            stagedSnapshots.keySet().removeIf(k -> k.index() <= snapshot.getIndex());
        }
        storage.append(rd.entries());
        HardState hs = rd.hardState();
        if (hs != null) {
            storage.setHardState(hs);
        }
        sim.checker().onPersisted(id, storage, rd.entries(), snapshot == null ? 0 : snapshot.getIndex(),
                snapshot == null ? 0 : snapshot.getTerm(), storage.hardState().getCommit());
        if (pendingCompletenessCheck) {
            pendingCompletenessCheck = false;
            sim.checker().checkLeaderCompleteness(id, checkCompletenessTerm, storage);
        }
        if (!ackBeforePersist()) {
            sendAll(rd.messagesAfterPersist());
        }

        if (snapshot != null) {
            restore(stateMachine, snapshot, installBytes);
            sim.checker().onSnapshotInstalled(id, snapshot.getIndex(), snapshot.getTerm());
            checkDigest();
            sim.trace().record(sim.now(), id, "install", "snapshot " + snapshot.getIndex());
            for (SimListener l : sim.listeners()) {
                l.onSnapshotInstalled(this, snapshot.getIndex(), snapshot.getTerm());
            }
        }
        apply(rd.committedEntries());
        for (ReadState read : rd.readStates()) {
            sim.checker().onReadState(id, read);
            for (SimListener l : sim.listeners()) {
                l.onReadState(this, read);
            }
        }
        raw.advance(rd);
        writing = false;
        maybeSnapshot();
        afterInput();
    }

    private boolean ackBeforePersist() {
        return sim.mutation() == Mutation.ACK_BEFORE_PERSIST;
    }

    private void apply(List<Entry> entries) {
        if (entries.isEmpty()) {
            return;
        }
        List<StateMachine.Command> commands = new ArrayList<>(entries.size());
        for (Entry e : entries) {
            sim.checker().onApplied(id, e);
            commands.add(new StateMachine.Command(EntryId.of(e), e.getData().toByteArray()));
        }
        List<byte[]> replies = stateMachine.apply(commands);
        checkDigest();
        List<SimListener> listeners = sim.listeners();
        if (!listeners.isEmpty()) {
            for (int k = 0; k < commands.size(); k++) {
                for (SimListener l : listeners) {
                    l.onApplied(this, commands.get(k), replies.get(k));
                }
            }
        }
    }

    private void sendAll(List<Message> messages) {
        for (Message m : messages) {
            byte[] data = null;
            if (m.getType() == MessageType.MSG_SNAPSHOT) {
                if (snapshotMetadata == null || snapshotMetadata.getIndex() != m.getSnapshot().getIndex()) {
                    throw new IllegalStateException(id + " sends snapshot " + m.getSnapshot().getIndex()
                            + " but holds " + (snapshotMetadata == null ? "none" : snapshotMetadata.getIndex()));
                }
                data = snapshotBytes;
            }
            sim.network().send(this, m, data);
        }
    }

    /**
     * Takes a snapshot and compacts the log once enough applied entries have piled up, or once the persisted Raft
     * state has grown past its byte limit (the service's policies).
     */
    private void maybeSnapshot() {
        int every = sim.config().snapshotEvery();
        long maxBytes = sim.config().snapshotLogBytes();
        long applied = stateMachine.appliedIndex();
        long unsnapshotted = applied - storage.snapshotMetadata().getIndex();
        boolean enoughEntries = every > 0 && unsnapshotted >= every;
        boolean tooManyBytes = maxBytes > 0 && unsnapshotted > 0 && storage.sizeInBytes() >= maxBytes;
        if (!enoughEntries && !tooManyBytes) {
            return;
        }
        try (SnapshotSource source = stateMachine.captureSnapshot()) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            source.writeTo(out);
            long durable = Math.min(source.index(), stateMachine.sync());
            storage.compact(source.index(), confState);
            snapshotMetadata = storage.snapshotMetadata();
            snapshotBytes = out.toByteArray();
            if (durable < source.index()) {
                throw new IllegalStateException("state machine could not make " + source.index() + " durable");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void restore(StateMachine sm, SnapshotMetadata meta, byte[] bytes) {
        try {
            sm.restoreSnapshot(meta.getIndex(), meta.getTerm(), new ByteArrayInputStream(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void checkDigest() {
        if (stateMachine instanceof Digestible d) {
            sim.checker().checkDigest(id, stateMachine.appliedIndex(), d.digest());
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
                + (writing ? " writing" : "") + (readyScheduled ? " ready-scheduled" : "")
                + (s.followers().isEmpty() ? "" : " " + s.followers()) + "]";
    }
}
