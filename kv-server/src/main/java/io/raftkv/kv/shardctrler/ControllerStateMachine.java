package io.raftkv.kv.shardctrler;

import io.raftkv.kv.state.KvStateMachine;
import io.raftkv.proto.shardctrler.Config;
import io.raftkv.raft.api.SnapshotSource;
import io.raftkv.raft.api.StateMachine;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;

/**
 * The shard controller's replicated state: every configuration ever made, and the client sessions that make Join,
 * Leave and Move exactly-once. It is the replicated state engine ({@link KvStateMachine}: RocksDB, the applied index
 * and log clock, checkpoint snapshots, crash-safe restore) under the controller's rules ({@link ControllerRules}),
 * with the queries a controller answers.
 *
 * <p>A command is applied once per (client id, sequence); a retry is answered with the recorded result, refusals
 * included, so a retried Join never makes a second configuration. Sessions expire by the log's clock.
 *
 * <p>Threads: {@link #apply}, {@link #sync}, {@link #captureSnapshot} and {@link #restoreSnapshot} run on the raft
 * node's apply thread; {@link #query}, {@link #latest} and {@link #appliedIndex} on any thread.
 */
public final class ControllerStateMachine implements StateMachine {
    private final KvStateMachine engine;
    private final ControllerRules rules;

    private ControllerStateMachine(KvStateMachine engine, ControllerRules rules) {
        this.engine = engine;
        this.rules = rules;
    }

    /**
     * Opens the controller state in {@code dir}, creating it with configuration 0 over {@code shards} shards if new.
     *
     * @throws IOException when the directory is damaged, in another format, or was created with another number of
     *     shards
     */
    public static ControllerStateMachine open(Path dir, int shards, Duration sessionTtl) throws IOException {
        ControllerRules rules = new ControllerRules(shards, sessionTtl);
        return new ControllerStateMachine(KvStateMachine.open(dir, rules), rules);
    }

    /** Calls {@code listener} with the latest configuration now and after every change (on the apply thread). */
    public void onNewConfig(Consumer<Config> listener) {
        rules.onNewConfig(listener);
        listener.accept(latest());
    }

    // ---- any thread

    /** Configuration {@code num}; -1 or a number past the latest means the latest. */
    public Config query(long num) {
        return rules.history().query(num);
    }

    public Config latest() {
        return rules.history().latest();
    }

    /** The number of shards, fixed when the controller's cluster was created. */
    public int shards() {
        return rules.shards();
    }

    @Override
    public long appliedIndex() {
        return engine.appliedIndex();
    }

    /** The bytes stored in RocksDB for configuration {@code num} (null if none), to compare replicas. */
    public byte[] storedConfig(long num) {
        return engine.read(db -> db.db().get(db.data, ControllerRules.configKey(num)));
    }

    /** A digest of everything the state holds (see {@link KvStateMachine#contentHash}), to compare replicas. */
    public byte[] contentHash() {
        return engine.contentHash();
    }

    // ---- the apply thread

    @Override
    public List<byte[]> apply(List<Command> commands) {
        return engine.apply(commands);
    }

    @Override
    public long sync() {
        return engine.sync();
    }

    @Override
    public SnapshotSource captureSnapshot() {
        return engine.captureSnapshot();
    }

    @Override
    public void restoreSnapshot(long index, long term, InputStream data) throws IOException {
        engine.restoreSnapshot(index, term, data);
    }

    @Override
    public void close() {
        engine.close();
    }
}
