package io.raftkv.raft.sim;

import static io.raftkv.raft.sim.Scheduler.MILLIS;
import static io.raftkv.raft.sim.Scheduler.SECONDS;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.raftkv.proto.raft.ConfState;
import io.raftkv.proto.raft.Entry;
import io.raftkv.proto.raft.HardState;
import io.raftkv.proto.raft.Message;
import io.raftkv.proto.raft.MessageType;
import io.raftkv.raft.api.StateMachine;
import io.raftkv.raft.core.MemoryStorage;
import io.raftkv.raft.core.ProposeResult;
import io.raftkv.raft.core.RaftConfig;
import io.raftkv.raft.core.RawNode;
import io.raftkv.raft.core.Ready;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Prints the efficiency figures of the Raft core (run with {@code ./mvnw verify -Pbenchmark -pl raft-node}): messages
 * per committed entry with one proposer, round trips to catch up a follower 10,000 entries behind across 20 terms,
 * and the simulator's speed.
 */
@Tag("benchmark")
class FiguresBenchmarkTest {

    @Test
    void messagesPerCommittedEntryWithOneProposer() {
        for (int nodes : new int[] {3, 5}) {
            Simulation sim = new Simulation(SimConfig.builder(nodes, 11).build());
            sim.network().delay(MILLIS, MILLIS);
            assertTrue(sim.runUntil(() -> sim.leader().isPresent(), 5 * SECONDS));
            SimNode leader = sim.leader().orElseThrow();
            int entries = 2000;
            long[] next = {0};
            long[] done = {0};
            long[] waitingFor = {-1};
            Runnable proposeNext = () -> {
                if (leader.propose(ByteBuffer.allocate(8).putLong(next[0]++).array())
                        instanceof ProposeResult.Accepted a) {
                    waitingFor[0] = a.index();
                }
            };
            sim.addListener(new SimListener() {
                @Override
                public void onApplied(SimNode node, StateMachine.Command command, byte[] reply) {
                    if (node == leader && command.index() == waitingFor[0]) {
                        done[0]++;
                        proposeNext.run(); // the next command as soon as the previous one is applied
                    }
                }
            });
            sim.runFor(SECONDS); // settle
            long[] before = counts(sim.network());
            long t0 = sim.now();
            proposeNext.run();
            assertTrue(sim.runUntil(() -> done[0] >= entries, 600 * SECONDS));
            long[] after = counts(sim.network());
            double seconds = (sim.now() - t0) / 1e6;
            double n = done[0];
            System.out.printf("%d nodes, one proposer, %d entries in %.1f virtual s (1 ms links): per committed entry "
                            + "%.2f appends + %.2f append responses + %.2f heartbeats + %.2f heartbeat responses = "
                            + "%.2f messages (%.2f request/response pairs, %.2f per follower)%n",
                    nodes, done[0], seconds,
                    (after[0] - before[0]) / n, (after[1] - before[1]) / n, (after[2] - before[2]) / n,
                    (after[3] - before[3]) / n, (after[4] - before[4]) / n, (after[5] - before[5]) / n,
                    (after[5] - before[5]) / n / (nodes - 1));
        }
    }

    private static long[] counts(SimNetwork net) {
        return new long[] {net.sent(MessageType.MSG_APPEND), net.sent(MessageType.MSG_APPEND_RESPONSE),
                net.sent(MessageType.MSG_HEARTBEAT), net.sent(MessageType.MSG_HEARTBEAT_RESPONSE), net.messagesSent(),
                net.requestsSent()};
    }

    @Test
    void catchingUpAFollowerTenThousandEntriesBehindAcrossTwentyTerms() {
        Simulation sim = new Simulation(SimConfig.builder(3, 5).syncMicros(0, 0).readyDelayMaxMicros(0).build());
        sim.network().delay(MILLIS, MILLIS);
        assertTrue(sim.runUntil(() -> sim.leader().isPresent(), 5 * SECONDS));
        SimNode lagging = sim.nodes().stream().filter(n -> !n.isLeader()).findFirst().orElseThrow();
        sim.isolate(lagging.id());
        long value = 0;
        for (int term = 0; term < 20; term++) {
            SimNode leader = sim.leader().orElseThrow();
            for (int i = 0; i < 500; i++) {
                leader.propose(ByteBuffer.allocate(8).putLong(value++).array());
            }
            long target = leader.status().lastIndex();
            assertTrue(sim.runUntil(() -> leader.status().commitIndex() >= target, 10 * SECONDS));
            SimNode other = sim.nodes().stream().filter(n -> n != leader && n != lagging).findFirst().orElseThrow();
            leader.transferLeadership(other.id());
            assertTrue(sim.runUntil(other::isLeader, 5 * SECONDS));
        }
        SimNode leader = sim.leader().orElseThrow();
        long behind = leader.status().lastIndex() - lagging.status().lastIndex();
        long terms = leader.term() - lagging.term();
        int[] rejections = {0};
        int[] appends = {0};
        long[] firstContact = {-1};
        sim.network().observe(m -> {
            if (m.getTo().equals(lagging.id()) && firstContact[0] < 0) {
                firstContact[0] = sim.now();
            }
            if (m.getType() == MessageType.MSG_APPEND_RESPONSE && m.getFrom().equals(lagging.id()) && m.getReject()) {
                rejections[0]++;
            }
            if (m.getType() == MessageType.MSG_APPEND && m.getTo().equals(lagging.id()) && m.getEntriesCount() > 0) {
                appends[0]++;
            }
        });
        sim.reconnect(lagging.id());
        assertTrue(sim.runUntil(() -> sim.checker().applied(lagging.id()) >= leader.status().commitIndex()
                && lagging.status().lastIndex() == leader.status().lastIndex(), 10 * SECONDS));
        double rtt = 2.0 * MILLIS;
        double roundTrips = (sim.now() - firstContact[0]) / rtt;
        System.out.printf("catch-up (simulator, 3 nodes, 1 ms links): a follower %,d entries and %d terms behind was "
                + "found with %d rejected probe(s) and caught up with %d append messages, in %.0f round trips of "
                + "virtual time from the leader's first message%n", behind, terms, rejections[0], appends[0],
                roundTrips);
        assertTrue(behind >= 10_000);
        divergentFollowerCatchUp(10_000, 20, false);
        divergentFollowerCatchUp(10_000, 20, true);
    }

    /**
     * A follower whose last 10,000 entries, spread over 20 terms, were never committed and conflict with the leader's
     * log. With {@code interleaved}, the leader's log also spans 20 terms that alternate with the follower's, the
     * worst case for the term-based hints. Each round trip is one batch of appends and their answers; naive back-off
     * would need one per entry.
     */
    private static void divergentFollowerCatchUp(int divergent, int terms, boolean interleaved) {
        List<String> ids = List.of("l", "f");
        ConfState cs = ConfState.newBuilder().addAllVoters(ids).build();
        MemoryStorage leaderLog = new MemoryStorage(cs);
        MemoryStorage followerLog = new MemoryStorage(cs);
        List<Entry> common = List.of(entry(1, 1));
        leaderLog.append(common);
        followerLog.append(common);
        List<Entry> f = new ArrayList<>();
        List<Entry> l = new ArrayList<>();
        for (int i = 0; i < divergent; i++) {
            long slot = (long) i * terms / divergent; // 0..terms-1
            f.add(entry(2 + i, 2 + 2 * slot));
            if (interleaved) {
                l.add(entry(2 + i, 3 + 2 * slot));
            }
        }
        if (!interleaved) {
            for (int i = 0; i < 500; i++) {
                l.add(entry(2 + i, 2 * terms + 2));
            }
        }
        followerLog.append(f);
        leaderLog.append(l);
        long leaderTerm = 2 * terms + 3;
        leaderLog.setHardState(HardState.newBuilder().setTerm(leaderTerm).setCommit(1).build());
        followerLog.setHardState(HardState.newBuilder().setTerm(leaderTerm - 1).setCommit(1).build());
        RawNode leader = new RawNode(RaftConfig.builder("l", ids).preVote(false).build(), leaderLog,
                new SplittableRandom(1));
        RawNode follower = new RawNode(RaftConfig.builder("f", ids).preVote(false).build(), followerLog,
                new SplittableRandom(2));
        leader.campaign();
        ArrayDeque<Message> wire = new ArrayDeque<>();
        int roundTrips = 0;
        int rejections = 0;
        pump(leader, leaderLog, wire);
        while (!wire.isEmpty()) {
            // One round trip: deliver everything in flight to the follower, then every answer to the leader.
            roundTrips++;
            List<Message> toFollower = new ArrayList<>(wire);
            wire.clear();
            for (Message m : toFollower) {
                follower.step(m);
            }
            pump(follower, followerLog, wire);
            List<Message> toLeader = new ArrayList<>(wire);
            wire.clear();
            for (Message m : toLeader) {
                if (m.getType() == MessageType.MSG_APPEND_RESPONSE && m.getReject()) {
                    rejections++;
                }
                leader.step(m);
            }
            pump(leader, leaderLog, wire);
        }
        System.out.printf("fast back-off (core): a follower with a %,d-entry divergent tail over %d terms (leader's "
                + "log %s) matched after %d rejections; %d round trips in all, election and data included "
                + "(probing entry by entry: %,d)%n", divergent, terms,
                interleaved ? "alternating with it over 20 other terms" : "in one newer term", rejections, roundTrips,
                divergent);
        assertTrue(followerLog.lastIndex() == leaderLog.lastIndex());
        assertTrue(rejections <= 2 * terms + 2);
    }

    private static void pump(RawNode node, MemoryStorage storage, ArrayDeque<Message> wire) {
        while (node.hasReady()) {
            Ready rd = node.ready();
            wire.addAll(rd.messages());
            if (rd.snapshot() != null) {
                storage.applySnapshot(rd.snapshot());
            }
            storage.append(rd.entries());
            if (rd.hardState() != null) {
                storage.setHardState(rd.hardState());
            }
            wire.addAll(rd.messagesAfterPersist());
            node.advance(rd);
        }
    }

    private static Entry entry(long index, long term) {
        return Entry.newBuilder().setIndex(index).setTerm(term).setData(ByteString.copyFromUtf8("x" + index)).build();
    }

    @Test
    void simulatorSpeed() throws Exception {
        int seeds = Integer.getInteger("raftkv.sim.benchSeeds", 200);
        long start = System.nanoTime();
        long steps = 0;
        for (long seed = 1; seed <= 20; seed++) {
            steps += new ChaosRun(seed, 20_000).run().steps(); // warm-up
        }
        double warm = (System.nanoTime() - start) / 1e9;
        System.out.printf("simulator warm-up: %,d steps in %.1f s%n", steps, warm);
        start = System.nanoTime();
        steps = 0;
        for (long seed = 100; seed < 100 + seeds; seed++) {
            steps += new ChaosRun(seed, 20_000).run().steps();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("simulator, one thread: %,d steps of the randomized test in %.1f s = %,.0f steps/s%n", steps,
                seconds, steps / seconds);
        RandomizedSimulationTest.runSeeds(100, seeds, 20_000, "simulator, two threads");
    }
}
