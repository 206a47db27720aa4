package io.raftkv.kv.shardctrler;

import com.google.protobuf.InvalidProtocolBufferException;
import io.raftkv.proto.service.ErrorCode;
import io.raftkv.proto.shardctrler.Config;
import io.raftkv.proto.shardctrler.CtrlCommand;
import io.raftkv.proto.shardctrler.CtrlCommandResult;
import io.raftkv.proto.shardctrler.CtrlSnapshot;
import io.raftkv.raft.api.SnapshotSource;
import io.raftkv.raft.api.StateMachine;
import io.raftkv.raft.service.SessionTable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The shard controller's replicated state: every configuration ever made, and the client sessions that make Join,
 * Leave and Move exactly-once, kept in RocksDB ({@link ControllerDb}) and in memory for queries
 * ({@link ConfigHistory}).
 *
 * <p>A command is applied once per (client id, sequence); a retry is answered with the recorded result, refusals
 * included, so a retried Join never makes a second configuration. Sessions expire by the log's clock.
 *
 * <p>Threads: {@link #apply}, {@link #sync}, {@link #captureSnapshot} and {@link #restoreSnapshot} run on the raft
 * node's apply thread; {@link #query}, {@link #latest} and {@link #appliedIndex} on any thread.
 */
public final class ControllerStateMachine implements StateMachine {
    private static final Logger LOG = LoggerFactory.getLogger(ControllerStateMachine.class);
    private static final byte[] NO_REPLY = new byte[0];

    private final ControllerDb db;
    private final int shards;
    private final Duration sessionTtl;
    private volatile ConfigHistory history;
    private SessionTable sessions;
    private long logTime;
    private volatile long appliedIndex;
    private volatile boolean failed;
    private volatile Consumer<Config> onNewConfig = config -> { };

    private ControllerStateMachine(ControllerDb db, int shards, Duration sessionTtl) {
        this.db = db;
        this.shards = shards;
        this.sessionTtl = sessionTtl;
    }

    /**
     * Opens the controller state in {@code dir}, creating it with configuration 0 over {@code shards} shards if new.
     *
     * @throws IOException when the directory is damaged or was created with another number of shards
     */
    public static ControllerStateMachine open(Path dir, int shards, Duration sessionTtl) throws IOException {
        ControllerDb db = ControllerDb.open(dir, shards);
        try {
            ControllerStateMachine machine = new ControllerStateMachine(db, shards, sessionTtl);
            SessionTable table = new SessionTable(sessionTtl);
            ControllerDb.Contents contents = db.load(table);
            machine.install(contents.configs(), table, contents.appliedIndex(), contents.logTimeMillis());
            return machine;
        } catch (IOException | RuntimeException e) {
            db.close();
            throw e;
        }
    }

    private void install(List<Config> configs, SessionTable table, long applied, long clock) {
        this.history = new ConfigHistory(configs);
        this.sessions = table;
        this.appliedIndex = applied;
        this.logTime = clock;
    }

    /** Calls {@code listener} with the latest configuration now and after every change (on the apply thread). */
    public void onNewConfig(Consumer<Config> listener) {
        this.onNewConfig = listener;
        listener.accept(history.latest());
    }

    // ---- any thread

    /** Configuration {@code num}; -1 or a number past the latest means the latest. */
    public Config query(long num) {
        return history.query(num);
    }

    public Config latest() {
        return history.latest();
    }

    /** The number of shards, fixed when the controller's cluster was created. */
    public int shards() {
        return shards;
    }

    @Override
    public long appliedIndex() {
        return appliedIndex;
    }

    /** The bytes stored in RocksDB for configuration {@code num} (null if none), to compare replicas. */
    public byte[] storedConfig(long num) {
        try {
            return db.storedConfig(num);
        } catch (RocksDBException e) {
            throw new IllegalStateException("cannot read configuration " + num + " in " + db.dir() + ": "
                    + e.getMessage(), e);
        }
    }

    // ---- the apply thread

    @Override
    public List<byte[]> apply(List<Command> commands) {
        checkUsable();
        List<byte[]> replies = new ArrayList<>(commands.size());
        List<Config> made = new ArrayList<>();
        Config before = history.latest();
        long index = appliedIndex;
        long clock = logTime;
        try (WriteBatch batch = new WriteBatch()) {
            SessionTable.Changes changes = ControllerDb.sessionChanges(batch);
            for (Command command : commands) {
                if (command.index() <= index) {
                    throw new IllegalArgumentException("command " + command.index() + " is not after " + index);
                }
                index = command.index();
                if (command.data().length == 0) {
                    replies.add(NO_REPLY); // a new leader's no-op
                    continue;
                }
                CtrlCommand parsed;
                try {
                    parsed = CtrlCommand.parseFrom(command.data());
                } catch (InvalidProtocolBufferException e) {
                    replies.add(result(ErrorCode.INVALID_ARGUMENT, "the log entry is not a controller command", 0));
                    continue;
                }
                clock = Math.max(clock, parsed.getTimestampMillis());
                if (!SessionTable.identifies(parsed.getClientId(), parsed.getSequence())) {
                    replies.add(result(ErrorCode.INVALID_ARGUMENT, "a change needs a client id and a sequence", 0));
                    continue;
                }
                replies.add(sessions.applyOnce(parsed.getClientId(), parsed.getSequence(), clock, changes, () -> {
                    Config latest = made.isEmpty() ? before : made.getLast();
                    ConfigChanges.Outcome outcome = change(latest, parsed);
                    if (outcome.isInvalid()) {
                        return result(ErrorCode.INVALID_ARGUMENT, outcome.invalid(), latest.getNum());
                    }
                    made.add(outcome.config());
                    ControllerDb.putConfig(batch, outcome.config());
                    return result(ErrorCode.OK, "", outcome.config().getNum());
                }));
            }
            ControllerDb.putMeta(batch, index, clock);
            db.write(batch);
        } catch (RocksDBException | RuntimeException e) {
            // The session table in memory may now be ahead of the disk: refuse to go on.
            failed = true;
            throw new IllegalStateException("cannot apply commands up to index " + index + " to the controller state"
                    + " in " + db.dir() + ": " + e.getMessage(), e);
        }
        for (Config config : made) {
            history.append(config);
        }
        appliedIndex = index;
        logTime = clock;
        if (!made.isEmpty()) {
            onNewConfig.accept(made.getLast());
        }
        return replies;
    }

    private static ConfigChanges.Outcome change(Config latest, CtrlCommand command) {
        return switch (command.getChangeCase()) {
            case JOIN -> ConfigChanges.join(latest, command.getJoin());
            case LEAVE -> ConfigChanges.leave(latest, command.getLeave());
            case MOVE -> ConfigChanges.move(latest, command.getMove());
            case CHANGE_NOT_SET -> new ConfigChanges.Outcome(null, "the command names no change");
        };
    }

    private static byte[] result(ErrorCode code, String message, long num) {
        return CtrlCommandResult.newBuilder().setCode(code).setMessage(message).setNum(num).build().toByteArray();
    }

    @Override
    public long sync() {
        checkUsable();
        long durable = appliedIndex;
        try {
            db.sync();
        } catch (RocksDBException e) {
            throw new IllegalStateException("cannot fsync the controller state in " + db.dir() + ": "
                    + e.getMessage(), e);
        }
        return durable;
    }

    @Override
    public SnapshotSource captureSnapshot() {
        checkUsable();
        byte[] bytes = snapshot().toByteArray();
        long index = appliedIndex;
        return new SnapshotSource() {
            @Override
            public long index() {
                return index;
            }

            @Override
            public void writeTo(OutputStream out) throws IOException {
                out.write(bytes);
            }

            @Override
            public void close() {}
        };
    }

    /** The whole state as one message: the same bytes on every replica that applied the same log prefix. */
    CtrlSnapshot snapshot() {
        return CtrlSnapshot.newBuilder()
                .setAppliedIndex(appliedIndex)
                .setShards(shards)
                .setLogTimeMillis(logTime)
                .addAllConfigs(history.all())
                .addAllSessions(sessions.export())
                .build();
    }

    @Override
    public void restoreSnapshot(long index, long term, InputStream data) throws IOException {
        checkUsable();
        CtrlSnapshot snapshot;
        try {
            snapshot = CtrlSnapshot.parseFrom(data);
        } catch (InvalidProtocolBufferException e) {
            throw new IOException("the controller snapshot at index " + index + " is corrupt: " + e.getMessage(), e);
        }
        if (snapshot.getAppliedIndex() != index) {
            throw new IOException("the controller snapshot covers index " + snapshot.getAppliedIndex()
                    + " but was installed as " + index);
        }
        if (snapshot.getShards() != shards) {
            throw new IOException("the controller snapshot at index " + index + " has " + snapshot.getShards()
                    + " shards; this node was started with --shards " + shards);
        }
        SessionTable table = new SessionTable(sessionTtl);
        snapshot.getSessionsList().forEach(entry -> table.restore(entry.getClientId(), entry.getSession()));
        ConfigHistory restored = new ConfigHistory(snapshot.getConfigsList()); // checks the numbering
        if (restored.size() == 0) {
            throw new IOException("the controller snapshot at index " + index + " holds no configuration");
        }
        try {
            db.replaceAll(snapshot);
        } catch (RocksDBException e) {
            failed = true;
            throw new IOException("cannot install the controller snapshot at index " + index + " in "
                    + db.dir() + ": " + e.getMessage(), e);
        }
        this.history = restored;
        this.sessions = table;
        this.logTime = snapshot.getLogTimeMillis();
        this.appliedIndex = index;
        onNewConfig.accept(restored.latest());
        LOG.info("installed a controller snapshot at index {} (term {}): {} configurations", index, term,
                restored.size());
    }

    @Override
    public void close() {
        db.close();
    }

    private void checkUsable() {
        if (failed) {
            throw new IllegalStateException("the controller state machine stopped after a storage failure");
        }
    }
}
