package io.raftkv.raft.runtime;

import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.raftkv.proto.raft.Entry;
import io.raftkv.proto.raft.Message;
import io.raftkv.proto.raft.SnapshotMetadata;
import io.raftkv.raft.api.Proposal;
import io.raftkv.raft.core.RaftStatus;
import io.raftkv.raft.core.RawNode;
import io.raftkv.raft.storage.NodeStorage;
import io.raftkv.raft.storage.SnapshotDirectory;
import io.raftkv.raft.storage.SnapshotFile;
import io.raftkv.raft.transport.MessageSink;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.slf4j.LoggerFactory;

/**
 * The production {@link CoreDriver} as the deterministic simulator drives it: the simulator supplies virtual time, a
 * simulated {@link NodeStorage}, its network as the {@link MessageSink}, and its own apply and write sides, and calls
 * the driver's inputs from its scheduled events. This class only opens the runtime's package-private types to it.
 */
public final class SimDriver {

    /** The state machine's side of the hand-off, as the simulator runs it (in order, in virtual time). */
    public interface ApplySide {
        /** Applies committed entries; {@code proposers} takes each entry's reply to its local proposer, if any. */
        void apply(List<Entry> entries, Proposers proposers);

        void restore(SnapshotMetadata metadata, InputStream body);

        /** Completes {@code barriers} once the applied index reaches {@code index}. */
        void releaseAt(long index, List<CompletableFuture<Void>> barriers);

        /** Make what is applied durable, then call {@link SimDriver#synced}. */
        void requestSync();

        /** Capture a snapshot file, then call {@link SimDriver#captured}. */
        void requestCapture();

        long applied();
    }

    /** Where a synced write runs: the simulator completes it after a virtual fsync latency. */
    public interface WriteSide {
        void submit(NodeStorage.PendingWrite write);
    }

    /** The local proposers of one batch of committed entries. */
    public static final class Proposers {
        private final PendingProposal[] proposals;

        private Proposers(PendingProposal[] proposals) {
            this.proposals = proposals;
        }

        /** Gives the proposer of entry {@code k} of the batch the state machine's reply (if it was proposed here). */
        public void reply(int k, byte[] reply) {
            if (proposals != null && proposals[k] != null) {
                proposals[k].complete(reply);
            }
        }
    }

    static {
        // The simulator runs thousands of elections and snapshot transfers a second: the driver's per-event INFO
        // lines would drown the build's output. Warnings still show.
        if (LoggerFactory.getLogger(CoreDriver.class) instanceof ch.qos.logback.classic.Logger logger) {
            logger.setLevel(ch.qos.logback.classic.Level.WARN);
        }
    }

    private final CoreDriver driver;
    private final LongSupplier clock;
    private final AtomicInteger outstanding = new AtomicInteger();

    /**
     * The runtime's timing for a node whose election timeout is {@code electionTicks} ticks of {@code tickNanos}, as
     * the runtime derives it: reads retried after half an election timeout and failed after {@code readTimeoutNanos},
     * a leadership transfer given two election timeouts.
     *
     * @param maxRaftStateBytes the log size past which the state machine is asked to sync so the log can be
     *     compacted (0: never)
     * @param catchUpEntries how many applied entries the log keeps after compaction, for followers a little behind
     */
    public record Timing(long tickNanos, int electionTicks, long readTimeoutNanos, long maxRaftStateBytes,
            long catchUpEntries) {}

    /**
     * @param members the group's node ids; a node's id doubles as its address in the simulation
     * @param defect the name of a planted ordering bug of the driver ({@code NONE} but in mutation tests)
     */
    public SimDriver(String id, List<String> members, Timing timing, String defect, long readNonce,
            LongSupplier clock, RawNode raw, NodeStorage storage, SnapshotDirectory snapshots, SnapshotFile baseFile, SnapshotFile sendable, MessageSink sink,
            ApplySide apply, WriteSide writes) {
        this.clock = clock;
        Map<String, String> addresses = new LinkedHashMap<>();
        for (String member : members) {
            addresses.put(member, member);
        }
        long tick = timing.tickNanos();
        CoreDriver.Settings settings = new CoreDriver.Settings(tick, tick * Math.max(2, timing.electionTicks() / 2),
                timing.readTimeoutNanos(), 2L * timing.electionTicks() * tick, timing.maxRaftStateBytes(),
                timing.catchUpEntries(), true, CoreDriver.Defect.valueOf(defect));
        NodeStatusView view = new NodeStatusView();
        view.setAppliedSource(apply::applied);
        NodeMetrics metrics = new NodeMetrics(new CompositeMeterRegistry(), view, storage::logBytes,
                outstanding::get);
        ApplyHandoff handoff = new ApplyHandoff() {
            @Override
            public void apply(List<Entry> entries, PendingProposal[] proposals) {
                apply.apply(entries, new Proposers(proposals));
            }

            @Override
            public void restore(SnapshotMetadata metadata, InputStream body) {
                apply.restore(metadata, body);
            }

            @Override
            public void releaseAt(long index, List<CompletableFuture<Void>> futures) {
                apply.releaseAt(index, futures);
            }

            @Override
            public void requestSync() {
                apply.requestSync();
            }

            @Override
            public void requestCapture() {
                apply.requestCapture();
            }

            @Override
            public long applied() {
                return apply.applied();
            }
        };
        this.driver = new CoreDriver(id, addresses, settings, readNonce, clock, raw, storage, snapshots, baseFile,
                sendable, sink, handoff, writes::submit, metrics, view);
    }

    // ---------------------------------------------------------------- start-up, as the runtime does it

    /** The file among {@code files} that holds exactly {@code metadata} (the log's base), or null. */
    public static SnapshotFile find(List<SnapshotFile> files, SnapshotMetadata metadata) {
        return SnapshotFiles.find(files, metadata);
    }

    /** Keeps the base file and the newest shippable file, deletes the rest; returns the file to ship. */
    public static SnapshotFile keepSendable(SnapshotDirectory store, List<SnapshotFile> files, SnapshotMetadata base,
            SnapshotFile baseFile, long committed) {
        return SnapshotFiles.keepSendable(store, files, base, baseFile, committed);
    }

    // ---------------------------------------------------------------- requests

    /** Proposes a command; the returned future is already complete (accepted, or refused). */
    public CompletableFuture<Proposal> propose(byte[] command) {
        outstanding.incrementAndGet();
        PendingProposal p = new PendingProposal(command, clock.getAsLong(), outstanding);
        driver.propose(p);
        return p.accepted;
    }

    /** A read barrier: completes once leadership is confirmed and the read index applied. */
    public CompletableFuture<Void> readBarrier() {
        CompletableFuture<Void> barrier = new CompletableFuture<>();
        driver.read(new Events.Read(barrier, clock.getAsLong()));
        return barrier;
    }

    public CompletableFuture<Void> transferLeadership(String target) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        driver.transfer(new Events.Transfer(target, done));
        return done;
    }

    // ---------------------------------------------------------------- inputs

    public void step(Message message) {
        driver.step(message);
    }

    public void snapshotArrived(Message message, SnapshotFile file) {
        driver.snapshotArrived(new Events.SnapshotArrived(message, file));
    }

    public void snapshotSent(String peer, boolean delivered) {
        driver.snapshotSent(peer, delivered);
    }

    public void synced(long index) {
        driver.synced(index);
    }

    public void captured(SnapshotFile file) {
        driver.captured(file);
    }

    public void writeDone(NodeStorage.PendingWrite write) {
        driver.writeDone(write, null);
    }

    public void tick() {
        driver.tick();
    }

    /** Lets the driver handle the next Ready; true if it did (there may be another). */
    public boolean process() {
        try {
            return driver.process();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The process dies: everything waiting on the core fails, as it would for a node that shuts down. */
    public void crash() {
        driver.failAll("the node crashed", new IllegalStateException("the node crashed"));
    }

    public RaftStatus status() {
        return driver.coreStatus();
    }
}
