package io.raftkv.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.raftkv.kv.plain.PlainKvRules;
import io.raftkv.kv.shardctrler.ControllerStateMachine;
import io.raftkv.kv.shardkv.ShardGroupReplica;
import io.raftkv.kv.state.KvStateMachine;
import io.raftkv.proto.kv.KvCommand;
import io.raftkv.proto.kv.KvCommandResult;
import io.raftkv.proto.service.ErrorCode;
import io.raftkv.proto.service.RequestHeader;
import io.raftkv.proto.shardctrler.Config;
import io.raftkv.proto.shardctrler.CtrlCommand;
import io.raftkv.proto.shardctrler.CtrlCommandResult;
import io.raftkv.proto.shardctrler.JoinRequest;
import io.raftkv.proto.shardctrler.LeaveRequest;
import io.raftkv.proto.shardctrler.ReplicaGroup;
import io.raftkv.proto.shardkv.ShardKvCommand;
import io.raftkv.raft.api.StateMachine;
import io.raftkv.raft.core.EntryId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The one exactly-once step, through each rule set that uses it (the plain store, a shard group, the shard
 * controller): a retried write is applied once; a refusal is recorded, so a retry is refused again even when the
 * retried request would now succeed; sessions expire by the log's clock, not a node's. (That sessions travel with a
 * moved shard is {@code ShardGroupReplicaTest}'s.)
 */
class SessionStepTest {
    private static final Duration TTL = Duration.ofMinutes(10);
    private static final long T0 = 1_000_000;

    @TempDir
    Path dir;

    enum Kind { PLAIN, SHARD_GROUP, CONTROLLER }

    /** A replica of one rule set, fed log entries with consecutive indexes as a raft node's apply thread would. */
    private abstract static class Replica implements AutoCloseable {
        private final StateMachine machine;
        private long index;

        Replica(StateMachine machine) {
            this.machine = machine;
        }

        byte[] apply(byte[] entry) {
            return machine.apply(List.of(new StateMachine.Command(new EntryId(1, ++index), entry))).get(0);
        }

        /** A write that takes effect every time it is applied (an append, a Join of a new group). */
        abstract ErrorCode write(long client, long sequence, long timeMillis);

        /** A write the rules refuse as it stands (an unknown operation, a Leave of a group that is not there). */
        abstract ErrorCode refusedWrite(long client, long sequence, long timeMillis);

        /** How many of the writes took effect. */
        abstract int effects();

        @Override
        public void close() throws Exception {
            machine.close();
        }
    }

    private static RequestHeader header(long client, long sequence, long timeMillis) {
        return RequestHeader.newBuilder().setClientId(client).setSequence(sequence).setTimestampMillis(timeMillis)
                .build();
    }

    private static KvCommand append(long client, long sequence, long timeMillis, KvCommand.Op op) {
        return KvCommand.newBuilder().setHeader(header(client, sequence, timeMillis)).setOp(op)
                .setKey(ByteString.copyFromUtf8("k")).setValue(ByteString.copyFromUtf8("x")).build();
    }

    private static ErrorCode kvCode(byte[] reply) {
        try {
            return KvCommandResult.parseFrom(reply).getCode();
        } catch (InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }

    private static String text(byte[] value) {
        return value == null ? "" : new String(value, StandardCharsets.UTF_8);
    }

    private Replica open(Kind kind) throws IOException {
        return switch (kind) {
            case PLAIN -> plain();
            case SHARD_GROUP -> shardGroup();
            case CONTROLLER -> controller();
        };
    }

    private Replica plain() throws IOException {
        KvStateMachine machine = PlainKvRules.openState(dir.resolve("plain"), TTL);
        return new Replica(machine) {
            @Override
            ErrorCode write(long client, long sequence, long timeMillis) {
                return kvCode(apply(append(client, sequence, timeMillis, KvCommand.Op.APPEND).toByteArray()));
            }

            @Override
            ErrorCode refusedWrite(long client, long sequence, long timeMillis) {
                return kvCode(apply(append(client, sequence, timeMillis, KvCommand.Op.OP_UNSPECIFIED).toByteArray()));
            }

            @Override
            int effects() {
                return text(machine.get("k".getBytes(StandardCharsets.UTF_8))).length();
            }
        };
    }

    private Replica shardGroup() throws IOException {
        long gid = 100;
        ShardGroupReplica replica = ShardGroupReplica.open(dir.resolve("group"), gid, TTL);
        Replica group = new Replica(replica.machine()) {
            private byte[] write(KvCommand command) {
                return apply(ShardKvCommand.newBuilder().setTimestampMillis(command.getHeader().getTimestampMillis())
                        .setWrite(command).build().toByteArray());
            }

            @Override
            ErrorCode write(long client, long sequence, long timeMillis) {
                return kvCode(write(append(client, sequence, timeMillis, KvCommand.Op.APPEND)));
            }

            @Override
            ErrorCode refusedWrite(long client, long sequence, long timeMillis) {
                return kvCode(write(append(client, sequence, timeMillis, KvCommand.Op.OP_UNSPECIFIED)));
            }

            @Override
            int effects() {
                return text(replica.get("k".getBytes(StandardCharsets.UTF_8)).value()).length();
            }
        };
        // Configuration 1: every shard on this group, straight from no group (nothing to pull).
        Config.Builder one = Config.newBuilder().setNum(1)
                .addGroups(ReplicaGroup.newBuilder().setGid(gid).addServers("127.0.0.1:7001"));
        for (int shard = 0; shard < 10; shard++) {
            one.addShards(gid);
        }
        group.apply(ShardKvCommand.newBuilder().setTimestampMillis(T0).setConfig(one).build().toByteArray());
        return group;
    }

    private Replica controller() throws IOException {
        ControllerStateMachine machine = ControllerStateMachine.open(dir.resolve("ctrl"), 10, TTL);
        return new Replica(machine) {
            private long nextGid = 1;

            private ErrorCode change(CtrlCommand.Builder command) {
                try {
                    return CtrlCommandResult.parseFrom(apply(command.build().toByteArray())).getCode();
                } catch (InvalidProtocolBufferException e) {
                    throw new AssertionError(e);
                }
            }

            @Override
            ErrorCode write(long client, long sequence, long timeMillis) {
                long gid = nextGid++;
                return change(CtrlCommand.newBuilder().setHeader(header(client, sequence, timeMillis))
                        .setJoin(JoinRequest.newBuilder().addGroups(ReplicaGroup.newBuilder().setGid(gid)
                                .addServers("127.0.0.1:" + (7000 + gid)))));
            }

            @Override
            ErrorCode refusedWrite(long client, long sequence, long timeMillis) {
                return change(CtrlCommand.newBuilder().setHeader(header(client, sequence, timeMillis))
                        .setLeave(LeaveRequest.newBuilder().addGids(999)));
            }

            @Override
            int effects() {
                return (int) machine.latest().getNum();
            }
        };
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aRetriedWriteIsAppliedOnce(Kind kind) throws Exception {
        try (Replica replica = open(kind)) {
            assertEquals(ErrorCode.OK, replica.write(1, 1, T0));
            assertEquals(ErrorCode.OK, replica.write(1, 1, T0 + 1), "the retry is answered with the first reply");
            assertEquals(1, replica.effects());
            assertEquals(ErrorCode.OK, replica.write(1, 2, T0 + 2));
            assertEquals(ErrorCode.OK, replica.write(2, 1, T0 + 3), "another client's first write");
            assertEquals(3, replica.effects());
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aRefusalIsRecordedSoTheRetryIsRefusedAgain(Kind kind) throws Exception {
        try (Replica replica = open(kind)) {
            assertEquals(ErrorCode.INVALID_ARGUMENT, replica.refusedWrite(1, 1, T0));
            assertEquals(ErrorCode.INVALID_ARGUMENT, replica.write(1, 1, T0 + 1),
                    "a write with the refused sequence gets the recorded refusal");
            assertEquals(0, replica.effects());
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void aRequestWithoutASessionIsRefused(Kind kind) throws Exception {
        try (Replica replica = open(kind)) {
            assertEquals(ErrorCode.INVALID_ARGUMENT, replica.write(0, 1, T0));
            assertEquals(ErrorCode.INVALID_ARGUMENT, replica.write(1, 0, T0));
            assertEquals(0, replica.effects());
        }
    }

    @ParameterizedTest
    @EnumSource(Kind.class)
    void sessionsExpireByTheLogsClock(Kind kind) throws Exception {
        try (Replica replica = open(kind)) {
            replica.write(1, 1, T0);
            replica.write(2, 1, T0 + TTL.toMillis());
            replica.write(1, 1, T0 + TTL.toMillis());
            assertEquals(2, replica.effects(), "at exactly the TTL, client 1's session is remembered");
            replica.write(2, 2, T0 + TTL.toMillis() + 1);
            replica.write(1, 1, T0 + TTL.toMillis() + 1);
            assertEquals(4, replica.effects(), "past the TTL by log time, client 1's session is forgotten");
        }
    }
}
