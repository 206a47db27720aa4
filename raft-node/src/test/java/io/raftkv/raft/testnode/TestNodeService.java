package io.raftkv.raft.testnode;

import io.grpc.stub.StreamObserver;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.search.Search;
import io.raftkv.common.metrics.GroupMeters;
import io.raftkv.raft.api.NodeStatus;
import io.raftkv.raft.api.NotLeaderException;
import io.raftkv.raft.api.Proposal;
import io.raftkv.raft.api.ProposalLostException;
import io.raftkv.raft.runtime.RaftNode;
import io.raftkv.raft.testnode.proto.AppliedReply;
import io.raftkv.raft.testnode.proto.AppliedRequest;
import io.raftkv.raft.testnode.proto.BenchReply;
import io.raftkv.raft.testnode.proto.BenchRequest;
import io.raftkv.raft.testnode.proto.Outcome;
import io.raftkv.raft.testnode.proto.ProposeReply;
import io.raftkv.raft.testnode.proto.ProposeRequest;
import io.raftkv.raft.testnode.proto.ReadBarrierReply;
import io.raftkv.raft.testnode.proto.ReadBarrierRequest;
import io.raftkv.raft.testnode.proto.StatusReply;
import io.raftkv.raft.testnode.proto.StatusRequest;
import io.raftkv.raft.testnode.proto.TestNodeGrpc;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The test node's control API for one group's replica: propose, read back what was applied, status, and the
 * in-process benchmark. {@link TestNodeRouter} picks the replica a request names.
 */
final class TestNodeService extends TestNodeGrpc.TestNodeImplBase {
    private static final HeapWatcher HEAP = new HeapWatcher();

    private final RaftNode node;
    private final LogStateMachine machine;
    private final MeterRegistry registry;
    private final HeapWatcher heap = HEAP;

    /** @param registry the process's registry; the replica's meters are found there by their group tag */
    TestNodeService(RaftNode node, LogStateMachine machine, MeterRegistry registry) {
        this.node = node;
        this.machine = machine;
        this.registry = registry;
    }

    private Search find(String name) {
        return registry.find(name).tag(GroupMeters.TAG, node.group());
    }

    @Override
    public void propose(ProposeRequest request, StreamObserver<ProposeReply> out) {
        byte[] command;
        if (request.getPadBytes() > 0) {
            command = ByteBuffer.allocate(5).put((byte) 'p').putInt(request.getPadBytes()).array();
        } else {
            byte[] value = request.getValue().getBytes(StandardCharsets.UTF_8);
            command = new byte[value.length + 1];
            command[0] = 'v';
            System.arraycopy(value, 0, command, 1, value.length);
        }
        long timeout = request.getTimeoutMs() > 0 ? request.getTimeoutMs() : 5000;
        CompletableFuture<Proposal> proposed = node.propose(command);
        proposed.thenCompose(p -> p.applied().thenApply(reply -> {
            ProposeReply.Builder b = ProposeReply.newBuilder().setOutcome(Outcome.OK).setIndex(p.index())
                    .setTerm(p.term());
            if (reply.length == 8) {
                b.setPosition(ByteBuffer.wrap(reply).getLong());
            }
            return b.build();
        })).orTimeout(timeout, TimeUnit.MILLISECONDS).whenComplete((reply, error) -> {
            if (error == null) {
                out.onNext(reply);
            } else {
                out.onNext(failure(error));
            }
            out.onCompleted();
        });
    }

    private ProposeReply failure(Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        ProposeReply.Builder b = ProposeReply.newBuilder().setError(String.valueOf(cause.getMessage()));
        switch (cause) {
            case NotLeaderException n -> b.setOutcome(Outcome.NOT_LEADER).setLeaderId(n.leaderId());
            case ProposalLostException l -> b.setOutcome(Outcome.LOST);
            case TimeoutException t -> b.setOutcome(Outcome.TIMEOUT);
            case RejectedExecutionException r -> b.setOutcome(Outcome.REJECTED);
            default -> b.setOutcome(Outcome.FAILED);
        }
        return b.build();
    }

    @Override
    public void applied(AppliedRequest request, StreamObserver<AppliedReply> out) {
        int max = request.getMax() == 0 ? 10_000 : request.getMax();
        int from = (int) request.getFrom();
        out.onNext(AppliedReply.newBuilder()
                .addAllValues(machine.values(from, max))
                .addAllIndexes(machine.valueIndexes(from, max))
                .setTotal(machine.valueCount())
                .build());
        out.onCompleted();
    }

    @Override
    public void status(StatusRequest request, StreamObserver<StatusReply> out) {
        NodeStatus s = node.status();
        StatusReply.Builder b = StatusReply.newBuilder()
                .setId(s.id())
                .setRole(s.role().name())
                .setTerm(s.term())
                .setLeaderId(s.leaderId())
                .setCommitIndex(s.commitIndex())
                .setAppliedIndex(s.appliedIndex())
                .setFirstIndex(node.firstIndex())
                .setLastIndex(s.lastIndex())
                .setSnapshotsSent(node.snapshotsSent())
                .setSnapshotsInstalled(node.snapshotsInstalled())
                .setHeapUsed(heap.used())
                .setHeapPeak(heap.peak())
                .setHeapMax(Runtime.getRuntime().maxMemory())
                .setStateBytes(machine.stateBytes())
                .setValues(machine.valueCount());
        if (request.getResetHeapPeak()) {
            heap.resetPeak();
        }
        if (request.getDigest()) {
            try {
                long[] digest = machine.digest();
                b.setDigestIndex(digest[0]).setStateCrc((int) digest[1]);
            } catch (IOException e) {
                out.onError(io.grpc.Status.INTERNAL.withDescription(e.toString()).asRuntimeException());
                return;
            }
        }
        out.onNext(b.build());
        out.onCompleted();
    }

    @Override
    public void readBarrier(ReadBarrierRequest request, StreamObserver<ReadBarrierReply> out) {
        node.readBarrier().orTimeout(5, TimeUnit.SECONDS).whenComplete((ok, error) -> {
            ReadBarrierReply.Builder b = ReadBarrierReply.newBuilder();
            if (error == null) {
                b.setOutcome(Outcome.OK).setValues(machine.valueCount());
            } else {
                Throwable cause = error instanceof CompletionException ? error.getCause() : error;
                b.setOutcome(cause instanceof NotLeaderException ? Outcome.NOT_LEADER
                        : cause instanceof TimeoutException ? Outcome.TIMEOUT : Outcome.FAILED)
                        .setError(String.valueOf(cause));
            }
            out.onNext(b.build());
            out.onCompleted();
        });
    }

    @Override
    public void bench(BenchRequest request, StreamObserver<BenchReply> out) {
        Thread runner = new Thread(() -> {
            BenchReply reply;
            try {
                Timer fsync = find("raft.fsync").timer();
                long fsyncCount0 = fsync == null ? 0 : fsync.count();
                double fsyncTotal0 = fsync == null ? 0 : fsync.totalTime(TimeUnit.MILLISECONDS);
                double entries0 = summaryTotal("raft.ready.entries");
                Timer commit = find("raft.proposal.commit").timer();
                long commitCount0 = commit == null ? 0 : commit.count();
                double commitTotal0 = commit == null ? 0 : commit.totalTime(TimeUnit.MILLISECONDS);
                double applyCount0 = summaryCount("raft.apply.batch");
                double applyTotal0 = summaryTotal("raft.apply.batch");
                reply = new BenchRun(node, request).run();
                long fsyncs = fsync == null ? 0 : fsync.count() - fsyncCount0;
                BenchReply.Builder b = reply.toBuilder();
                if (fsyncs > 0) {
                    b.setFsyncMeanMs((fsync.totalTime(TimeUnit.MILLISECONDS) - fsyncTotal0) / fsyncs)
                            .setEntriesPerFsync((summaryTotal("raft.ready.entries") - entries0) / fsyncs);
                }
                long commits = commit == null ? 0 : commit.count() - commitCount0;
                if (commits > 0) {
                    b.setCommitMeanMs((commit.totalTime(TimeUnit.MILLISECONDS) - commitTotal0) / commits);
                }
                double applies = summaryCount("raft.apply.batch") - applyCount0;
                if (applies > 0) {
                    b.setCommandsPerApply((summaryTotal("raft.apply.batch") - applyTotal0) / applies);
                }
                reply = b.build();
            } catch (Exception e) {
                reply = BenchReply.newBuilder().setError(e.toString()).build();
            }
            out.onNext(reply);
            out.onCompleted();
        }, "bench");
        runner.setDaemon(true);
        runner.start();
    }

    private double summaryTotal(String name) {
        var s = find(name).summary();
        return s == null ? 0 : s.totalAmount();
    }

    private double summaryCount(String name) {
        var s = find(name).summary();
        return s == null ? 0 : s.count();
    }

    /** Tracks the heap in use, and its peak since the last reset, by sampling every few milliseconds. */
    private static final class HeapWatcher {
        private final List<MemoryPoolMXBean> pools = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p -> p.getType() == MemoryType.HEAP).toList();
        private volatile long peak;

        HeapWatcher() {
            Thread sampler = new Thread(() -> {
                while (true) {
                    long used = used();
                    if (used > peak) {
                        peak = used;
                    }
                    try {
                        Thread.sleep(5);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "heap-sampler");
            sampler.setDaemon(true);
            sampler.start();
        }

        long used() {
            long sum = 0;
            for (MemoryPoolMXBean pool : pools) {
                sum += pool.getUsage().getUsed();
            }
            return sum;
        }

        long peak() {
            return Math.max(peak, used());
        }

        void resetPeak() {
            peak = used();
        }
    }
}
