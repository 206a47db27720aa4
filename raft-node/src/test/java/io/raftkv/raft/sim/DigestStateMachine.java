package io.raftkv.raft.sim;

import io.raftkv.raft.api.SnapshotSource;
import io.raftkv.raft.api.StateMachine;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * The simulator's default state machine: it keeps the applied index, the number of commands and a digest of the whole
 * applied sequence. Its snapshot is those three numbers, so a restored replica can be checked against the committed
 * log. It replies to each command with the command's own bytes.
 */
public final class DigestStateMachine implements StateMachine, Digestible {
    private long applied;
    private long digest;
    private long commands;

    @Override
    public long appliedIndex() {
        return applied;
    }

    @Override
    public long digest() {
        return digest;
    }

    /** How many non-empty commands were applied (no-ops excluded). */
    public long commandCount() {
        return commands;
    }

    @Override
    public List<byte[]> apply(List<Command> batch) {
        List<byte[]> replies = new ArrayList<>(batch.size());
        for (Command c : batch) {
            if (c.index() != applied + 1) {
                throw new IllegalStateException("command " + c.index() + " applied after " + applied);
            }
            digest = Digests.next(digest, c.index(), c.data());
            applied = c.index();
            if (c.data().length > 0) {
                commands++;
            }
            replies.add(c.data());
        }
        return replies;
    }

    @Override
    public long sync() {
        return applied;
    }

    @Override
    public SnapshotSource captureSnapshot() {
        long index = applied;
        long d = digest;
        long n = commands;
        return new SnapshotSource() {
            @Override
            public long index() {
                return index;
            }

            @Override
            public void writeTo(OutputStream out) throws IOException {
                DataOutputStream data = new DataOutputStream(out);
                data.writeLong(index);
                data.writeLong(d);
                data.writeLong(n);
                data.flush();
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public void restoreSnapshot(long index, long term, InputStream in) throws IOException {
        DataInputStream data = new DataInputStream(in);
        long snapIndex = data.readLong();
        if (snapIndex != index) {
            throw new IOException("snapshot bytes are for index " + snapIndex + ", not " + index);
        }
        digest = data.readLong();
        commands = data.readLong();
        applied = index;
    }

    @Override
    public void close() {
    }
}
