package io.raftkv.kv.shardctrler;

import com.google.protobuf.InvalidProtocolBufferException;
import io.raftkv.kv.state.ApplyContext;
import io.raftkv.kv.state.Codec;
import io.raftkv.kv.state.KvDb;
import io.raftkv.kv.state.KvRules;
import io.raftkv.kv.state.SessionKeys;
import io.raftkv.proto.service.ErrorCode;
import io.raftkv.proto.shardctrler.Config;
import io.raftkv.proto.shardctrler.CtrlCommand;
import io.raftkv.proto.shardctrler.CtrlCommandResult;
import io.raftkv.raft.service.SessionTable;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * The shard controller's rules over the replicated state engine: every log entry is a {@link CtrlCommand} (Join,
 * Leave or Move), applied exactly once per client session. Every configuration made is kept in the {@code data}
 * column family under its number (8 bytes, big-endian, so in order), and the number of shards in {@code meta}, fixed
 * when the state is created. {@link ConfigHistory} is the in-memory view that queries read on any thread.
 */
final class ControllerRules implements KvRules {
    private static final byte[] SHARDS_KEY = "shards".getBytes(StandardCharsets.UTF_8);

    private final int shards;
    private final Duration sessionTtl;
    /** The installed state's configurations. */
    private volatile ConfigHistory history;
    private volatile Consumer<Config> onNewConfig = config -> { };

    ControllerRules(int shards, Duration sessionTtl) {
        this.shards = shards;
        this.sessionTtl = sessionTtl;
    }

    int shards() {
        return shards;
    }

    /** Every configuration of the installed state (any thread). */
    ConfigHistory history() {
        return history;
    }

    /** Calls {@code listener} after every change, and when a snapshot is installed (apply thread). */
    void onNewConfig(Consumer<Config> listener) {
        this.onNewConfig = listener;
    }

    static byte[] configKey(long num) {
        return Codec.encodeLong(num);
    }

    @Override
    public String kind() {
        return "shard-controller";
    }

    @Override
    public Memory load(KvDb db) throws IOException {
        try {
            byte[] stored = db.db().get(db.meta, SHARDS_KEY);
            if (stored == null) {
                initialize(db);
            } else {
                long count = Codec.decodeLong(stored, "the number of shards in " + db.dir());
                if (count != shards) {
                    throw new IOException("the controller state in " + db.dir() + " has " + count + " shards (it was"
                            + " created with --shards " + count + "); this node was started with --shards " + shards
                            + ", and the number of shards is fixed when a controller cluster is first created");
                }
            }
            List<Config> configs = readConfigs(db);
            SessionTable table = SessionKeys.UNPREFIXED.loadInto(db, new SessionTable(sessionTtl));
            return new ControllerMemory(new ConfigHistory(configs), table);
        } catch (RocksDBException e) {
            throw new IOException("cannot read the controller state in " + db.dir() + ": " + e.getMessage(), e);
        }
    }

    /** A new state: configuration 0, every shard on no group. Written before the state serves anything. */
    private void initialize(KvDb db) throws IOException, RocksDBException {
        try (RocksIterator it = db.db().newIterator(db.data)) {
            it.seekToFirst();
            if (it.isValid()) {
                throw new IOException(db.dir() + " is not a controller state: it holds data but no number of shards");
            }
        }
        Config zero = ConfigChanges.initial(shards);
        try (WriteBatch batch = new WriteBatch(); WriteOptions synced = new WriteOptions().setSync(true)) {
            batch.put(db.meta, SHARDS_KEY, Codec.encodeLong(shards));
            batch.put(db.data, configKey(zero.getNum()), zero.toByteArray());
            db.db().write(synced, batch);
        }
    }

    private static List<Config> readConfigs(KvDb db) throws IOException, RocksDBException {
        List<Config> configs = new ArrayList<>();
        try (RocksIterator it = db.db().newIterator(db.data)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                Config config;
                try {
                    config = Config.parseFrom(it.value());
                } catch (InvalidProtocolBufferException e) {
                    throw new IOException("the controller state in " + db.dir() + " holds a corrupt configuration: "
                            + e.getMessage(), e);
                }
                if (config.getNum() != configs.size()) {
                    throw new IOException("the controller state in " + db.dir() + " is damaged: configuration "
                            + configs.size() + " is missing or misnumbered (found " + config.getNum() + ")");
                }
                configs.add(config);
            }
            it.status();
        }
        if (configs.isEmpty()) {
            throw new IOException("the controller state in " + db.dir() + " is damaged: it has no configuration 0");
        }
        return configs;
    }

    private static byte[] result(ErrorCode code, String message, long num) {
        return CtrlCommandResult.newBuilder().setCode(code).setMessage(message).setNum(num).build().toByteArray();
    }

    /** The configurations and client sessions of one database. */
    private final class ControllerMemory implements Memory {
        private final ConfigHistory configs;
        private final SessionTable sessions;
        /** Configurations made by the batch being applied, appended to {@link #configs} once it is written. */
        private final List<Config> made = new ArrayList<>();
        private volatile int sessionCount;

        ControllerMemory(ConfigHistory configs, SessionTable sessions) {
            this.configs = configs;
            this.sessions = sessions;
            this.sessionCount = sessions.size();
        }

        @Override
        public java.util.Map<String, String> describe() {
            return java.util.Map.of("shards", String.valueOf(shards), "configuration",
                    String.valueOf(configs.latest().getNum()));
        }

        @Override
        public byte[] apply(byte[] entry, ApplyContext context) throws RocksDBException {
            CtrlCommand command;
            try {
                command = CtrlCommand.parseFrom(entry);
            } catch (InvalidProtocolBufferException e) {
                return result(ErrorCode.INVALID_ARGUMENT, "the log entry is not a controller command", 0);
            }
            return context.applyOnce(command.getHeader(), sessions,
                    SessionKeys.UNPREFIXED.changes(context.batch(), context.db()),
                    why -> result(ErrorCode.INVALID_ARGUMENT, why, 0),
                    () -> change(command, context));
        }

        private byte[] change(CtrlCommand command, ApplyContext context) throws RocksDBException {
            Config latest = made.isEmpty() ? configs.latest() : made.getLast();
            ConfigChanges.Outcome outcome = switch (command.getChangeCase()) {
                case JOIN -> ConfigChanges.join(latest, command.getJoin());
                case LEAVE -> ConfigChanges.leave(latest, command.getLeave());
                case MOVE -> ConfigChanges.move(latest, command.getMove());
                case SET_SERVERS -> ConfigChanges.setServers(latest, command.getSetServers());
                case CHANGE_NOT_SET -> new ConfigChanges.Outcome(null, "the command names no change");
            };
            if (outcome.isInvalid()) {
                return result(ErrorCode.INVALID_ARGUMENT, outcome.invalid(), latest.getNum());
            }
            Config next = outcome.config();
            context.batch().put(context.db().data, configKey(next.getNum()), next.toByteArray());
            made.add(next);
            return result(ErrorCode.OK, "", next.getNum());
        }

        @Override
        public void written(KvDb db) {
            sessionCount = sessions.size();
            if (made.isEmpty()) {
                return;
            }
            made.forEach(configs::append);
            Config latest = made.getLast();
            made.clear();
            onNewConfig.accept(latest);
        }

        @Override
        public void installed() {
            history = configs;
            onNewConfig.accept(configs.latest());
        }

        @Override
        public int sessionCount() {
            return sessionCount;
        }
    }
}
