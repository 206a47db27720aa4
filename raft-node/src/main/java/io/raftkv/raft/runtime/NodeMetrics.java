package io.raftkv.raft.runtime;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The node's Micrometer meters. Gauges read the node's published status; counters and timers are updated by the
 * thread that sees the event (the event loop, the apply thread, the persister).
 */
final class NodeMetrics {
    private final Counter leaderChanges;
    private final Counter elections;
    private final Counter appendsSent;
    private final Counter appendsRejected;
    private final Counter snapshotSends;
    private final Counter snapshotSendFailures;
    private final Counter snapshotInstalls;
    private final Counter snapshotsCaptured;
    private final Counter compactions;
    private final Counter proposalsRejected;
    private final Counter inboundDropped;
    private final Counter outboundDropped;
    private final Timer fsync;
    private final Timer commit;
    private final Timer apply;
    private final DistributionSummary readyEntries;
    private final DistributionSummary applyBatch;
    private final MembershipMetrics membership;

    NodeMetrics(MeterRegistry registry, NodeStatusView status, Supplier<Number> logBytes,
            Supplier<Number> pendingProposals) {
        membership = new MembershipMetrics(registry);
        Gauge.builder("raft.role", status, s -> s.role().ordinal())
                .description("0 follower, 1 pre-candidate, 2 candidate, 3 leader").register(registry);
        Gauge.builder("raft.term", status, NodeStatusView::term).description("Current term").register(registry);
        Gauge.builder("raft.commit.index", status, NodeStatusView::commitIndex)
                .description("Highest log index known committed").register(registry);
        Gauge.builder("raft.applied.index", status, NodeStatusView::appliedIndex)
                .description("Highest log index applied to the state machine").register(registry);
        Gauge.builder("raft.last.index", status, NodeStatusView::lastIndex)
                .description("Last index in the log").register(registry);
        Gauge.builder("raft.first.index", status, NodeStatusView::firstIndex)
                .description("First index still in the log (after compaction)").register(registry);
        Gauge.builder("raft.log.bytes", logBytes).description("Bytes of entries in the log").register(registry);
        Gauge.builder("raft.proposals.pending", pendingProposals)
                .description("Proposals accepted by this node and not yet resolved").register(registry);
        leaderChanges = Counter.builder("raft.leader.changes").description("Times a new leader became known")
                .register(registry);
        elections = Counter.builder("raft.elections").description("Elections this node started as a candidate")
                .register(registry);
        appendsSent = Counter.builder("raft.append.sent").description("AppendEntries messages sent")
                .register(registry);
        appendsRejected = Counter.builder("raft.append.rejected")
                .description("AppendEntries rejections received from followers").register(registry);
        snapshotSends = Counter.builder("raft.snapshot.sends").description("Snapshot transfers started")
                .register(registry);
        snapshotSendFailures = Counter.builder("raft.snapshot.send.failures")
                .description("Snapshot transfers that failed").register(registry);
        snapshotInstalls = Counter.builder("raft.snapshot.installs")
                .description("Snapshots from a leader installed into the state machine").register(registry);
        snapshotsCaptured = Counter.builder("raft.snapshot.captures")
                .description("Snapshots of the local state machine written to files").register(registry);
        compactions = Counter.builder("raft.log.compactions").description("Log prefix compactions")
                .register(registry);
        proposalsRejected = Counter.builder("raft.proposals.rejected")
                .description("Proposals refused because too many were outstanding").register(registry);
        inboundDropped = Counter.builder("raft.inbound.dropped")
                .description("Peer messages dropped because the event loop was behind").register(registry);
        outboundDropped = Counter.builder("raft.outbound.dropped")
                .description("Messages to peers dropped (queue full or peer unreachable)").register(registry);
        fsync = Timer.builder("raft.fsync").description("Synced write of one Ready (WriteBatch + fsync)")
                .publishPercentileHistogram().publishPercentiles(0.5, 0.99).register(registry);
        commit = Timer.builder("raft.proposal.commit")
                .description("From a proposal reaching this leader to its entry being committed")
                .publishPercentileHistogram().publishPercentiles(0.5, 0.99).register(registry);
        apply = Timer.builder("raft.apply").description("One StateMachine.apply call")
                .publishPercentileHistogram().register(registry);
        readyEntries = DistributionSummary.builder("raft.ready.entries")
                .description("Entries persisted per Ready (group commit size)").register(registry);
        applyBatch = DistributionSummary.builder("raft.apply.batch")
                .description("Commands per StateMachine.apply call").register(registry);
    }

    void leaderChanged() {
        leaderChanges.increment();
    }

    void electionStarted() {
        elections.increment();
    }

    void appendSent() {
        appendsSent.increment();
    }

    void appendRejected() {
        appendsRejected.increment();
    }

    void snapshotSendStarted() {
        snapshotSends.increment();
    }

    void snapshotSendFailed() {
        snapshotSendFailures.increment();
    }

    void snapshotInstalled() {
        snapshotInstalls.increment();
    }

    void snapshotCaptured() {
        snapshotsCaptured.increment();
    }

    void compacted() {
        compactions.increment();
    }

    void proposalRejected() {
        proposalsRejected.increment();
    }

    void inboundDropped() {
        inboundDropped.increment();
    }

    void outboundDropped() {
        outboundDropped.increment();
    }

    void recordWrite(long nanos, int entries, boolean synced) {
        if (synced) {
            fsync.record(nanos, TimeUnit.NANOSECONDS);
        }
        readyEntries.record(entries);
    }

    void recordCommit(long nanos) {
        commit.record(nanos, TimeUnit.NANOSECONDS);
    }

    void recordApply(long nanos, int commands) {
        apply.record(nanos, TimeUnit.NANOSECONDS);
        applyBatch.record(commands);
    }

    long snapshotSends() {
        return (long) snapshotSends.count();
    }

    long snapshotInstalls() {
        return (long) snapshotInstalls.count();
    }

    MembershipMetrics membership() {
        return membership;
    }
}
