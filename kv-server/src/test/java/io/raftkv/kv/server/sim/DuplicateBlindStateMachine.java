package io.raftkv.kv.server.sim;

import com.google.protobuf.InvalidProtocolBufferException;
import io.raftkv.kv.state.KvReader;
import io.raftkv.kv.state.KvStateMachine;
import io.raftkv.proto.kv.KvCommand;
import io.raftkv.raft.api.SnapshotSource;
import io.raftkv.raft.api.StateMachine;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * A deliberately broken duplicate filter, for showing that the scenarios notice double-applied writes: before the
 * real state machine sees a command, its client id is replaced by one derived from the command's log index, so no
 * two log entries share a session and a retried write that reached the log twice is applied twice. Deterministic in
 * the log, so every replica still applies the same thing.
 */
final class DuplicateBlindStateMachine implements StateMachine, KvReader {
    private final KvStateMachine delegate;

    DuplicateBlindStateMachine(KvStateMachine delegate) {
        this.delegate = delegate;
    }

    @Override
    public List<byte[]> apply(List<Command> commands) {
        List<Command> blinded = new ArrayList<>(commands.size());
        for (Command command : commands) {
            blinded.add(new Command(command.id(), blind(command)));
        }
        return delegate.apply(blinded);
    }

    private static byte[] blind(Command command) {
        if (command.data().length == 0) {
            return command.data();
        }
        try {
            KvCommand parsed = KvCommand.parseFrom(command.data());
            // A fresh session per log entry (never 0, which the state machine rejects).
            return parsed.toBuilder().setHeader(parsed.getHeader().toBuilder().setClientId(command.index() | Long.MIN_VALUE))
                    .build().toByteArray();
        } catch (InvalidProtocolBufferException e) {
            return command.data();
        }
    }

    @Override
    public byte[] get(byte[] key) {
        return delegate.get(key);
    }

    @Override
    public long appliedIndex() {
        return delegate.appliedIndex();
    }

    @Override
    public long sync() {
        return delegate.sync();
    }

    @Override
    public SnapshotSource captureSnapshot() {
        return delegate.captureSnapshot();
    }

    @Override
    public void restoreSnapshot(long index, long term, InputStream data) throws IOException {
        delegate.restoreSnapshot(index, term, data);
    }

    @Override
    public void close() {
        delegate.close();
    }
}
