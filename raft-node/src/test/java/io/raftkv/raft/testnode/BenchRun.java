package io.raftkv.raft.testnode;

import io.raftkv.raft.api.Proposal;
import io.raftkv.raft.runtime.RaftNode;
import io.raftkv.raft.testnode.proto.BenchReply;
import io.raftkv.raft.testnode.proto.BenchRequest;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Closed-loop proposers inside the leader's process: each proposes a payload, waits until it is applied on the
 * leader, and proposes the next. Latency is measured from the {@code propose} call to the applied future, so it is
 * the commit latency plus applying on the leader. Only completions inside the measured window (after the warm-up)
 * count.
 */
final class BenchRun {
    private static final int MAX_SAMPLES = 4_000_000;

    private final RaftNode node;
    private final int proposers;
    private final int payloadBytes;
    private final long measureFrom;
    private final long end;
    private final long[] samples = new long[MAX_SAMPLES];
    private final AtomicInteger sampleCount = new AtomicInteger();
    private final AtomicLong failed = new AtomicLong();
    private final CountDownLatch done;
    private final Executor retryLater = CompletableFuture.delayedExecutor(1, TimeUnit.MILLISECONDS);
    private final long durationNanos;

    BenchRun(RaftNode node, BenchRequest request) {
        this.node = node;
        this.proposers = Math.max(1, request.getProposers());
        this.payloadBytes = Math.max(2, request.getPayloadBytes());
        long now = System.nanoTime();
        this.measureFrom = now + TimeUnit.MILLISECONDS.toNanos(request.getWarmupMs());
        this.durationNanos = TimeUnit.MILLISECONDS.toNanos(Math.max(100, request.getDurationMs()));
        this.end = measureFrom + durationNanos;
        this.done = new CountDownLatch(proposers);
    }

    BenchReply run() throws InterruptedException {
        for (int i = 0; i < proposers; i++) {
            new Proposer(i).next();
        }
        long waitMillis = TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime()) + 30_000;
        if (!done.await(waitMillis, TimeUnit.MILLISECONDS)) {
            return BenchReply.newBuilder().setError("proposers did not finish").build();
        }
        int n = Math.min(sampleCount.get(), MAX_SAMPLES);
        long[] sorted = Arrays.copyOf(samples, n);
        Arrays.sort(sorted);
        double sum = 0;
        for (long v : sorted) {
            sum += v;
        }
        return BenchReply.newBuilder()
                .setCompleted(n)
                .setFailed(failed.get())
                .setSeconds(durationNanos / 1e9)
                .setP50Ms(percentile(sorted, 0.50))
                .setP90Ms(percentile(sorted, 0.90))
                .setP99Ms(percentile(sorted, 0.99))
                .setMaxMs(n == 0 ? 0 : sorted[n - 1] / 1e6)
                .setMeanMs(n == 0 ? 0 : sum / n / 1e6)
                .build();
    }

    private static double percentile(long[] sorted, double q) {
        if (sorted.length == 0) {
            return 0;
        }
        int k = (int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1);
        return sorted[Math.max(0, k)] / 1e6;
    }

    private final class Proposer {
        private final SplittableRandom random;

        Proposer(int n) {
            this.random = new SplittableRandom(n);
        }

        void next() {
            long start = System.nanoTime();
            if (start - end >= 0) {
                done.countDown();
                return;
            }
            byte[] command = new byte[payloadBytes];
            command[0] = 'b';
            for (int i = 1; i < command.length; i += 8) {
                long r = random.nextLong();
                for (int j = 0; j < 8 && i + j < command.length; j++) {
                    command[i + j] = (byte) (r >>> (8 * j));
                }
            }
            node.propose(command).thenCompose(Proposal::applied).whenComplete((reply, error) -> {
                long finish = System.nanoTime();
                boolean inWindow = finish - measureFrom >= 0 && finish - end <= 0;
                if (error == null) {
                    if (inWindow) {
                        int k = sampleCount.getAndIncrement();
                        if (k < MAX_SAMPLES) {
                            samples[k] = finish - start;
                        }
                    }
                    next();
                } else {
                    if (inWindow) {
                        failed.incrementAndGet();
                    }
                    retryLater.execute(this::next);
                }
            });
        }
    }
}
