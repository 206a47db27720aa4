package io.raftkv.raft.sim;

import io.raftkv.raft.api.StateMachine;
import io.raftkv.raft.core.RaftConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * How a simulated cluster is built: its members, its seed, the length of a tick, disk latencies, when nodes take
 * snapshots, which state machine they run and how their Raft configuration is tuned. The network's behaviour is set
 * on {@link SimNetwork} and may change during a run.
 *
 * @param ids node ids ("n1", "n2", ...)
 * @param joiners how many of the last ids start outside the group, waiting to be added as learners (the others are
 *     its voters)
 * @param seed the seed of the one random source everything draws from
 * @param tickMicros virtual time between two ticks of a node (each node ticks on its own phase)
 * @param readyDelayMaxMicros a node takes its next Ready up to this long after work appears (event-loop latency)
 * @param syncMinMicros shortest time a write that must be fsynced takes
 * @param syncMaxMicros longest time a write that must be fsynced takes; a crash meanwhile loses the write
 * @param snapshotEvery a node snapshots its state machine and compacts its log once this many applied entries are
 *     in its log (0: never)
 * @param snapshotLogBytes a node snapshots its state machine and compacts its log once its persisted Raft state
 *     reaches this many bytes, as a service run with {@code --max-raft-state} does (0: never)
 * @param stateMachines creates a fresh (empty) state machine for a node at start and restart
 * @param raftTuning adjusts each node's Raft configuration (election ticks default to 10, heartbeat to 1)
 * @param crashLoss what a crash does to the writes a node made since its last fsync
 * @param mutation a deliberate bug the run plants ({@link Mutation#NONE} but in the checker's own tests)
 */
public record SimConfig(
        List<String> ids,
        int joiners,
        long seed,
        long tickMicros,
        long readyDelayMaxMicros,
        long syncMinMicros,
        long syncMaxMicros,
        int snapshotEvery,
        long snapshotLogBytes,
        Function<String, StateMachine> stateMachines,
        UnaryOperator<RaftConfig.Builder> raftTuning,
        CrashLoss crashLoss,
        Mutation mutation) {

    /** The group's voters when it starts: every node but the joiners. */
    public List<String> voters() {
        return ids.subList(0, ids.size() - joiners);
    }

    public boolean isJoiner(String id) {
        return ids.indexOf(id) >= ids.size() - joiners;
    }

    public static Builder builder(int nodes, long seed) {
        return new Builder(nodes, seed);
    }

    /** Builder with defaults: 100 ms ticks, fsync 0.2-2 ms, no snapshots, the digest state machine. */
    public static final class Builder {
        private final List<String> ids = new ArrayList<>();
        private final long seed;
        private int joiners;
        private long tickMicros = 100 * Scheduler.MILLIS;
        private long readyDelayMaxMicros = 100;
        private long syncMinMicros = 200;
        private long syncMaxMicros = 2 * Scheduler.MILLIS;
        private int snapshotEvery;
        private long snapshotLogBytes;
        private Function<String, StateMachine> stateMachines = id -> new DigestStateMachine();
        private UnaryOperator<RaftConfig.Builder> raftTuning = UnaryOperator.identity();
        private CrashLoss crashLoss = CrashLoss.NONE;
        private Mutation mutation = Mutation.NONE;

        private Builder(int nodes, long seed) {
            if (nodes < 1) {
                throw new IllegalArgumentException("a cluster needs at least one node");
            }
            for (int i = 1; i <= nodes; i++) {
                ids.add("n" + i);
            }
            this.seed = seed;
        }

        /** Names the nodes (as many as the builder was given): clusters sharing one run need distinct ids. */
        public Builder ids(List<String> names) {
            if (names.size() != ids.size() || names.stream().distinct().count() != names.size()) {
                throw new IllegalArgumentException("need " + ids.size() + " distinct ids, not " + names);
            }
            ids.clear();
            ids.addAll(names);
            return this;
        }

        /** The last {@code count} nodes start outside the group and wait to be added as learners. */
        public Builder joiners(int count) {
            this.joiners = count;
            return this;
        }

        public Builder tickMicros(long micros) {
            this.tickMicros = micros;
            return this;
        }

        public Builder readyDelayMaxMicros(long micros) {
            this.readyDelayMaxMicros = micros;
            return this;
        }

        public Builder syncMicros(long min, long max) {
            this.syncMinMicros = min;
            this.syncMaxMicros = max;
            return this;
        }

        public Builder snapshotEvery(int entries) {
            this.snapshotEvery = entries;
            return this;
        }

        /** Compacts once the persisted Raft state reaches {@code bytes} (the lab's maxraftstate; 0: never). */
        public Builder snapshotLogBytes(long bytes) {
            this.snapshotLogBytes = bytes;
            return this;
        }

        public Builder stateMachines(Function<String, StateMachine> factory) {
            this.stateMachines = factory;
            return this;
        }

        public Builder raftTuning(UnaryOperator<RaftConfig.Builder> tuning) {
            this.raftTuning = tuning;
            return this;
        }

        /** What a crash does to unsynced writes: kept (a process crash, the default), lost, or torn. */
        public Builder crashLoss(CrashLoss loss) {
            this.crashLoss = loss;
            return this;
        }

        /** Plants a deliberate bug (the checker's own tests only). */
        public Builder mutation(Mutation bug) {
            this.mutation = bug;
            return this;
        }

        public SimConfig build() {
            if (syncMinMicros < 0 || syncMaxMicros < syncMinMicros) {
                throw new IllegalArgumentException("need 0 <= syncMin <= syncMax");
            }
            if (snapshotLogBytes < 0) {
                throw new IllegalArgumentException("snapshotLogBytes must not be negative");
            }
            if (joiners < 0 || joiners >= ids.size()) {
                throw new IllegalArgumentException("need 0 <= joiners < nodes");
            }
            return new SimConfig(List.copyOf(ids), joiners, seed, tickMicros, readyDelayMaxMicros, syncMinMicros, syncMaxMicros,
                    snapshotEvery, snapshotLogBytes, stateMachines, raftTuning, crashLoss, mutation);
        }
    }
}
