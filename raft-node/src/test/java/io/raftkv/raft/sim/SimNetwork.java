package io.raftkv.raft.sim;

import io.raftkv.proto.raft.Message;
import io.raftkv.proto.raft.MessageType;
import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * The simulated network between nodes: every message is delivered after a random delay, unless it is dropped; it may
 * be duplicated, and long delays reorder it behind later traffic. Connectivity is by groups: two nodes talk iff
 * neither is isolated and they are in the same partition group, checked both when a message is sent and when it
 * arrives. Snapshot bytes travel in the same envelope as their MSG_SNAPSHOT message, and the sender learns whether
 * the transfer arrived, as a streaming transport would tell it.
 */
public final class SimNetwork {
    private final Simulation sim;
    private final RandomGenerator random;
    private final int[] group;
    private final boolean[] isolated;

    private double dropRate;
    private double duplicateRate;
    private long minDelayMicros = 500;
    private long maxDelayMicros = 5 * Scheduler.MILLIS;
    private double longDelayRate;
    private long longDelayMaxMicros = 2 * Scheduler.SECONDS;

    private final long[] sentByType = new long[MessageType.values().length];
    private final long[] bytesByType = new long[MessageType.values().length];
    private long delivered;
    private long dropped;
    private java.util.function.Consumer<Message> observer = m -> { };

    SimNetwork(Simulation sim, RandomGenerator random, int nodes) {
        this.sim = sim;
        this.random = random;
        this.group = new int[nodes];
        this.isolated = new boolean[nodes];
    }

    // ---------------------------------------------------------------- behaviour

    /** Probability that a message is lost. */
    public SimNetwork dropRate(double rate) {
        this.dropRate = rate;
        return this;
    }

    /** Probability that a message is delivered twice (each copy with its own delay). */
    public SimNetwork duplicateRate(double rate) {
        this.duplicateRate = rate;
        return this;
    }

    /** The range of ordinary delivery delays. */
    public SimNetwork delay(long minMicros, long maxMicros) {
        this.minDelayMicros = minMicros;
        this.maxDelayMicros = Math.max(minMicros, maxMicros);
        return this;
    }

    /** Probability that a message is held back for up to {@code maxMicros} (reordering it behind later ones). */
    public SimNetwork longDelays(double rate, long maxMicros) {
        this.longDelayRate = rate;
        this.longDelayMaxMicros = maxMicros;
        return this;
    }

    /** The lab's unreliable network: 10% loss, 0-27 ms delays (on) or the defaults (off). */
    public SimNetwork unreliable(boolean on) {
        if (on) {
            return dropRate(0.1).delay(0, 27 * Scheduler.MILLIS);
        }
        return dropRate(0).delay(500, 5 * Scheduler.MILLIS);
    }

    /** The lab's long reordering: two thirds of messages held back 200 ms to 2.2 s (on) or none (off). */
    public SimNetwork longReordering(boolean on) {
        return on ? longDelays(2.0 / 3, 2200 * Scheduler.MILLIS) : longDelays(0, longDelayMaxMicros);
    }

    public double dropRate() {
        return dropRate;
    }

    // ---------------------------------------------------------------- connectivity

    public void isolate(int node) {
        isolated[node] = true;
    }

    public void reconnect(int node) {
        isolated[node] = false;
    }

    public boolean isIsolated(int node) {
        return isolated[node];
    }

    /** Puts each node in the group numbered by its position in {@code groupOf}. */
    public void partition(int[] groupOf) {
        System.arraycopy(groupOf, 0, group, 0, group.length);
    }

    /** Everyone in one group, nobody isolated. */
    public void heal() {
        Arrays.fill(group, 0);
        Arrays.fill(isolated, false);
    }

    public boolean connected(int a, int b) {
        return !isolated[a] && !isolated[b] && group[a] == group[b];
    }

    // ---------------------------------------------------------------- traffic

    /** Sees every message sent (before any loss), for tests that count or inspect traffic. */
    public void observe(java.util.function.Consumer<Message> observer) {
        this.observer = observer;
    }

    /** Accepts a message from {@code sender} (with snapshot bytes for a MSG_SNAPSHOT). */
    void send(SimNode sender, Message message, byte[] snapshotData) {
        observer.accept(message);
        int type = message.getType().getNumber();
        sentByType[type]++;
        bytesByType[type] += message.getSerializedSize() + (snapshotData == null ? 0 : snapshotData.length);
        SimNode target = sim.node(message.getTo());
        Envelope envelope = new Envelope(sender, sender.incarnation(), target, message, snapshotData);
        if (!connected(sender.index(), target.index()) || chance(dropRate)) {
            lose(envelope);
            return;
        }
        schedule(envelope);
        if (chance(duplicateRate)) {
            schedule(envelope);
        }
    }

    private void schedule(Envelope envelope) {
        long delay = minDelayMicros + (maxDelayMicros > minDelayMicros
                ? random.nextLong(maxDelayMicros - minDelayMicros + 1) : 0);
        if (chance(longDelayRate)) {
            delay += 200 * Scheduler.MILLIS + random.nextLong(Math.max(1, longDelayMaxMicros - 200 * Scheduler.MILLIS));
        }
        sim.scheduler().after(delay, () -> deliver(envelope));
    }

    private void deliver(Envelope e) {
        if (!connected(e.sender.index(), e.target.index()) || !e.target.isUp()) {
            lose(e);
            return;
        }
        delivered++;
        sim.trace().record(sim.now(), e.target.id(), "recv", e.message);
        e.target.receive(e.message, e.snapshotData);
        if (e.snapshotData != null) {
            e.sender.snapshotTransferEnded(e.senderIncarnation, e.target.id(), true);
        }
    }

    private void lose(Envelope e) {
        dropped++;
        if (e.snapshotData != null) {
            e.sender.snapshotTransferEnded(e.senderIncarnation, e.target.id(), false);
        }
    }

    private boolean chance(double p) {
        return p > 0 && random.nextDouble() < p;
    }

    // ---------------------------------------------------------------- counters

    /** Messages of {@code type} sent so far (including ones later lost). */
    public long sent(MessageType type) {
        return sentByType[type.getNumber()];
    }

    /** Requests sent so far (appends, votes, pre-votes, heartbeats, snapshots, timeout-now, forwarded requests). */
    public long requestsSent() {
        long n = 0;
        for (MessageType t : MessageType.values()) {
            if (t != MessageType.UNRECOGNIZED && isRequest(t)) {
                n += sentByType[t.getNumber()];
            }
        }
        return n;
    }

    /** All messages sent so far, requests and responses. */
    public long messagesSent() {
        long n = 0;
        for (long c : sentByType) {
            n += c;
        }
        return n;
    }

    /** Serialized bytes of all requests sent so far (snapshot bytes included). */
    public long requestBytesSent() {
        long n = 0;
        for (MessageType t : MessageType.values()) {
            if (t != MessageType.UNRECOGNIZED && isRequest(t)) {
                n += bytesByType[t.getNumber()];
            }
        }
        return n;
    }

    public long delivered() {
        return delivered;
    }

    public long dropped() {
        return dropped;
    }

    static boolean isRequest(MessageType t) {
        return switch (t) {
            case MSG_APPEND, MSG_VOTE, MSG_PRE_VOTE, MSG_HEARTBEAT, MSG_SNAPSHOT, MSG_TIMEOUT_NOW, MSG_READ_INDEX,
                    MSG_TRANSFER_LEADER -> true;
            default -> false;
        };
    }

    private record Envelope(SimNode sender, int senderIncarnation, SimNode target, Message message,
            byte[] snapshotData) {}
}
