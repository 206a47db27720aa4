package io.raftkv.kv.state;

import io.raftkv.proto.service.RequestHeader;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.raftkv.proto.kv.KvCommand;
import io.raftkv.proto.kv.KvCommandResult;
import io.raftkv.proto.service.ErrorCode;
import io.raftkv.raft.api.StateMachine;
import io.raftkv.raft.core.EntryId;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Feeds commands to a state machine with consecutive log indexes, as the raft node's apply thread would. */
public final class Feeder {
    private final StateMachine machine;
    private long index;

    public Feeder(StateMachine machine) {
        this.machine = machine;
        this.index = machine.appliedIndex();
    }

    public static byte[] put(long client, long seq, String key, String value, long time) {
        return command(client, seq, KvCommand.Op.PUT, bytes(key), bytes(value), time);
    }

    public static byte[] append(long client, long seq, String key, String value, long time) {
        return command(client, seq, KvCommand.Op.APPEND, bytes(key), bytes(value), time);
    }

    public static byte[] delete(long client, long seq, String key, long time) {
        return command(client, seq, KvCommand.Op.DELETE, bytes(key), new byte[0], time);
    }

    public static byte[] command(long client, long seq, KvCommand.Op op, byte[] key, byte[] value, long time) {
        return KvCommand.newBuilder()
                .setHeader(RequestHeader.newBuilder().setClientId(client).setSequence(seq).setTimestampMillis(time))
                .setOp(op).setKey(ByteString.copyFrom(key)).setValue(ByteString.copyFrom(value))
                .build().toByteArray();
    }

    public static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** Applies {@code commands} as one batch and returns the decoded replies (null for an empty reply). */
    public List<KvCommandResult> apply(byte[]... commands) {
        List<StateMachine.Command> batch = new ArrayList<>();
        for (byte[] command : commands) {
            batch.add(new StateMachine.Command(new EntryId(1, ++index), command));
        }
        List<KvCommandResult> results = new ArrayList<>();
        for (byte[] reply : machine.apply(batch)) {
            try {
                results.add(reply.length == 0 ? null : KvCommandResult.parseFrom(reply));
            } catch (InvalidProtocolBufferException e) {
                throw new AssertionError("reply is not a KvCommandResult: " + Arrays.toString(reply), e);
            }
        }
        return results;
    }

    /** Applies one command and returns its reply's code. */
    public ErrorCode one(byte[] command) {
        return apply(command).get(0).getCode();
    }

    public long index() {
        return index;
    }
}
