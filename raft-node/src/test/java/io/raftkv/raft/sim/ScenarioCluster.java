package io.raftkv.raft.sim;

import static io.raftkv.raft.sim.Scheduler.MILLIS;
import static io.raftkv.raft.sim.Scheduler.SECONDS;

import com.google.protobuf.ByteString;
import io.raftkv.raft.api.StateMachine;
import io.raftkv.raft.core.ProposeResult;
import io.raftkv.raft.core.RaftConfig;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * A simulated cluster with the vocabulary of the MIT 6.824 Raft test harness ({@code checkOneLeader}, {@code one},
 * {@code nCommitted}, {@code crash1}/{@code start1}, {@code disconnect}/{@code connect}, ...), so its scenarios port
 * line by line with their time budgets, in virtual time. Servers are numbered from 0 as there; node ids are "n1"...
 *
 * <p>One difference: a new leader appends an empty entry, so log indexes of commands are not the consecutive
 * numbers the original harness expects; scenarios check indexes relative to each other instead.
 */
public final class ScenarioCluster {
    /** The election timeout the original scenarios budget with (generous: ours is 1-2 s). */
    public static final long ELECTION_TIMEOUT = SECONDS;

    private final Simulation sim;
    private final int n;
    private final boolean[] connected;
    private final long[] maxApplied;
    private final Map<String, Integer> indexOf = new HashMap<>();

    public ScenarioCluster(int servers, boolean unreliable, boolean snapshots, long seed) {
        this(servers, unreliable, snapshots, seed, UnaryOperator.identity());
    }

    public ScenarioCluster(int servers, boolean unreliable, boolean snapshots, long seed,
            UnaryOperator<RaftConfig.Builder> tuning) {
        this.n = servers;
        this.sim = new Simulation(SimConfig.builder(servers, seed).snapshotEvery(snapshots ? 10 : 0)
                .raftTuning(tuning).build());
        this.connected = new boolean[servers];
        this.maxApplied = new long[servers];
        java.util.Arrays.fill(connected, true);
        for (int i = 0; i < servers; i++) {
            indexOf.put(sim.node(i).id(), i);
        }
        sim.network().unreliable(unreliable);
        sim.addListener(new SimListener() {
            @Override
            public void onApplied(SimNode node, StateMachine.Command command, byte[] reply) {
                int i = indexOf.get(node.id());
                maxApplied[i] = Math.max(maxApplied[i], command.index());
            }

            @Override
            public void onSnapshotInstalled(SimNode node, long index, long term) {
                int i = indexOf.get(node.id());
                maxApplied[i] = Math.max(maxApplied[i], index);
            }
        });
    }

    public Simulation sim() {
        return sim;
    }

    public int servers() {
        return n;
    }

    public SimNode node(int i) {
        return sim.node(i);
    }

    public int indexOf(String id) {
        return indexOf.get(id);
    }

    // ---------------------------------------------------------------- faults

    public void disconnect(int i) {
        connected[i] = false;
        sim.isolate(sim.node(i).id());
    }

    public void connect(int i) {
        connected[i] = true;
        sim.reconnect(sim.node(i).id());
    }

    public boolean connected(int i) {
        return connected[i];
    }

    /** Kills server i (it keeps what it persisted) and takes it off the network. */
    public void crash1(int i) {
        disconnect(i);
        sim.crash(sim.node(i).id());
    }

    /** Restarts server i from what it persisted; it stays off the network until {@link #connect}. */
    public void start1(int i) {
        sim.crash(sim.node(i).id());
        sim.restart(sim.node(i).id());
    }

    public boolean alive(int i) {
        return sim.node(i).isUp();
    }

    public void setUnreliable(boolean on) {
        sim.network().unreliable(on);
    }

    public void setLongReordering(boolean on) {
        sim.network().longReordering(on);
    }

    public void sleep(long micros) {
        sim.runFor(micros);
    }

    /** A random number from the simulation's seeded source. */
    public int randomInt(int bound) {
        return sim.random().nextInt(bound);
    }

    // ---------------------------------------------------------------- checks

    /** Waits (up to ~5 s) for exactly one leader among connected servers; returns it. Two in a term fails. */
    public int checkOneLeader() {
        for (int iter = 0; iter < 10; iter++) {
            sleep(450 * MILLIS + sim.random().nextLong(100 * MILLIS));
            Map<Long, Integer> leaders = new HashMap<>();
            long lastTerm = -1;
            for (int i = 0; i < n; i++) {
                SimNode node = sim.node(i);
                if (connected[i] && node.isLeader()) {
                    Integer other = leaders.put(node.term(), i);
                    if (other != null) {
                        throw new AssertionError("term " + node.term() + " has two leaders: " + other + " and " + i);
                    }
                    lastTerm = Math.max(lastTerm, node.term());
                }
            }
            if (!leaders.isEmpty()) {
                return leaders.get(lastTerm);
            }
        }
        throw new AssertionError("expected one leader, got none\n" + sim.describe());
    }

    /** Every connected server is in the same term; returns it. */
    public long checkTerms() {
        long term = -1;
        for (int i = 0; i < n; i++) {
            if (connected[i]) {
                long t = sim.node(i).term();
                if (term == -1) {
                    term = t;
                } else if (term != t) {
                    throw new AssertionError("servers disagree on term\n" + sim.describe());
                }
            }
        }
        return term;
    }

    public void checkNoLeader() {
        for (int i = 0; i < n; i++) {
            if (connected[i] && sim.node(i).isLeader()) {
                throw new AssertionError("expected no leader among connected servers, but " + i + " claims to be\n"
                        + sim.describe());
            }
        }
    }

    /** How many servers have applied {@code index}, and the command there (null if none). */
    public Decided nCommitted(long index) {
        int count = 0;
        for (int i = 0; i < n; i++) {
            if (maxApplied[i] >= index) {
                count++;
            }
        }
        ByteString data = count > 0 ? sim.checker().committedData(index) : null;
        return new Decided(count, data);
    }

    /** The result of {@link #nCommitted}. */
    public record Decided(int count, ByteString command) {}

    /** Proposes {@code command} at server i, as the harness's Start(). */
    public ProposeResult start(int i, byte[] command) {
        return sim.node(i).propose(command);
    }

    /**
     * Submits a command to whichever connected server accepts it and waits for {@code expected} servers to apply it
     * at the index it got, retrying (if {@code retry}) on another leader; fails after 10 s. Returns its index.
     */
    public long one(byte[] command, int expected, boolean retry) {
        ByteString cmd = ByteString.copyFrom(command);
        long t0 = sim.now();
        int starts = 0;
        while (sim.now() - t0 < 10 * SECONDS) {
            long index = -1;
            for (int k = 0; k < n; k++) {
                starts = (starts + 1) % n;
                if (connected[starts] && alive(starts)
                        && start(starts, command) instanceof ProposeResult.Accepted a) {
                    index = a.index();
                    break;
                }
            }
            if (index != -1) {
                long t1 = sim.now();
                while (sim.now() - t1 < 2 * SECONDS) {
                    Decided d = nCommitted(index);
                    if (d.count() > 0 && d.count() >= expected && cmd.equals(d.command())) {
                        return index;
                    }
                    sleep(20 * MILLIS);
                }
                if (!retry) {
                    throw new AssertionError("one() failed to reach agreement\n" + sim.describe());
                }
            } else {
                sleep(50 * MILLIS);
            }
        }
        throw new AssertionError("one() failed to reach agreement within 10 s\n" + sim.describe());
    }

    /**
     * Waits for at least {@code servers} servers to apply {@code index}; returns the command there, or null if some
     * server moved past {@code startTerm} (then the caller may not expect it). Fails if they do not.
     */
    public ByteString waitFor(long index, int servers, long startTerm) {
        long to = 10 * MILLIS;
        for (int iters = 0; iters < 30; iters++) {
            if (nCommitted(index).count() >= servers) {
                break;
            }
            sleep(to);
            if (to < SECONDS) {
                to *= 2;
            }
            if (startTerm > -1) {
                for (int i = 0; i < n; i++) {
                    if (sim.node(i).term() > startTerm) {
                        return null;
                    }
                }
            }
        }
        Decided d = nCommitted(index);
        if (d.count() < servers) {
            throw new AssertionError("only " + d.count() + " decided for index " + index + "; wanted " + servers
                    + "\n" + sim.describe());
        }
        return d.command();
    }

    /** Requests sent so far (the harness's RPC count). */
    public long rpcTotal() {
        return sim.network().requestsSent();
    }

    /** Request bytes sent so far. */
    public long bytesTotal() {
        return sim.network().requestBytesSent();
    }

    /** The largest persisted Raft state among the servers, in bytes. */
    public long logSize() {
        long max = 0;
        for (SimNode node : sim.nodes()) {
            max = Math.max(max, node.storage().sizeInBytes());
        }
        return max;
    }

    /** Every server, up or down. */
    public List<SimNode> nodes() {
        return sim.nodes();
    }

    public static byte[] command(long value) {
        return ByteBuffer.allocate(8).putLong(value).array();
    }
}
