package io.raftkv.kv.shardctrler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.proto.service.RequestHeader;
import io.raftkv.proto.service.ErrorCode;
import io.raftkv.proto.shardctrler.Config;
import io.raftkv.proto.shardctrler.CtrlCommand;
import io.raftkv.proto.shardctrler.CtrlCommandResult;
import io.raftkv.proto.shardctrler.JoinRequest;
import io.raftkv.proto.shardctrler.LeaveRequest;
import io.raftkv.proto.shardctrler.MoveRequest;
import io.raftkv.proto.shardctrler.ReplicaGroup;
import io.raftkv.proto.shardctrler.SetServersRequest;
import io.raftkv.raft.api.SnapshotSource;
import io.raftkv.raft.api.StateMachine;
import io.raftkv.raft.core.EntryId;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The controller's state machine over real RocksDB: exactly-once, refusals, persistence and snapshots. */
class ControllerStateMachineTest {
    private static final Duration TTL = Duration.ofHours(1);

    @TempDir
    Path dir;

    private long index;

    private static ReplicaGroup group(long gid, String... servers) {
        return ReplicaGroup.newBuilder().setGid(gid).addAllServers(List.of(servers)).build();
    }

    private static RequestHeader header(long client, long sequence) {
        return RequestHeader.newBuilder().setClientId(client).setSequence(sequence).setTimestampMillis(1_000).build();
    }

    private static CtrlCommand join(long client, long sequence, ReplicaGroup... groups) {
        return CtrlCommand.newBuilder().setHeader(header(client, sequence))
                .setJoin(JoinRequest.newBuilder().addAllGroups(List.of(groups))).build();
    }

    private static CtrlCommand leave(long client, long sequence, long... gids) {
        LeaveRequest.Builder leave = LeaveRequest.newBuilder();
        for (long gid : gids) {
            leave.addGids(gid);
        }
        return CtrlCommand.newBuilder().setHeader(header(client, sequence))
                .setLeave(leave).build();
    }

    private static CtrlCommand move(long client, long sequence, int shard, long gid) {
        return CtrlCommand.newBuilder().setHeader(header(client, sequence))
                .setMove(MoveRequest.newBuilder().setShard(shard).setGid(gid)).build();
    }

    private static CtrlCommand setServers(long client, long sequence, ReplicaGroup... groups) {
        return CtrlCommand.newBuilder().setHeader(header(client, sequence))
                .setSetServers(SetServersRequest.newBuilder().addAllGroups(List.of(groups))).build();
    }

    private CtrlCommandResult apply(ControllerStateMachine machine, CtrlCommand command) throws IOException {
        StateMachine.Command entry = new StateMachine.Command(new EntryId(1, ++index), command.toByteArray());
        List<byte[]> replies = machine.apply(List.of(entry));
        return CtrlCommandResult.parseFrom(replies.get(0));
    }

    @Test
    void startsAtConfigurationZeroWithEveryShardOnNoGroup() throws IOException {
        try (ControllerStateMachine machine = ControllerStateMachine.open(dir.resolve("c"), 10, TTL)) {
            Config zero = machine.query(-1);
            assertEquals(0, zero.getNum());
            assertEquals(10, zero.getShardsCount());
            assertTrue(zero.getShardsList().stream().allMatch(gid -> gid == 0));
            assertEquals(0, zero.getGroupsCount());
            assertEquals(zero, machine.query(5), "a number past the latest means the latest");
        }
    }

    @Test
    void aRetriedJoinIsAppliedOnce() throws IOException {
        try (ControllerStateMachine machine = ControllerStateMachine.open(dir.resolve("c"), 10, TTL)) {
            CtrlCommandResult first = apply(machine, join(7, 1, group(100, "127.0.0.1:7001")));
            assertEquals(ErrorCode.OK, first.getCode());
            assertEquals(1, first.getNum());
            CtrlCommandResult retry = apply(machine, join(7, 1, group(100, "127.0.0.1:7001")));
            assertEquals(first, retry, "the retry is answered with the first result");
            assertEquals(1, machine.latest().getNum(), "the retry made no configuration");
            assertEquals(ErrorCode.OK, apply(machine, join(7, 2, group(200, "127.0.0.1:7002"))).getCode());
            assertEquals(2, machine.latest().getNum());
        }
    }

    @Test
    void badInputIsRefusedAndChangesNothing() throws IOException {
        try (ControllerStateMachine machine = ControllerStateMachine.open(dir.resolve("c"), 10, TTL)) {
            apply(machine, join(1, 1, group(100, "127.0.0.1:7001")));
            long sequence = 1;
            List<CtrlCommand> bad = List.of(
                    join(2, ++sequence, group(100, "127.0.0.1:7009")),
                    join(2, ++sequence, group(0, "127.0.0.1:7009")),
                    join(2, ++sequence, group(-3, "127.0.0.1:7009")),
                    join(2, ++sequence, group(300)),
                    join(2, ++sequence, group(300, "no-port")),
                    join(2, ++sequence, group(300, "host:99999")),
                    join(2, ++sequence, group(300, "a:1"), group(300, "b:1")),
                    join(2, ++sequence),
                    leave(2, ++sequence, 200),
                    leave(2, ++sequence, 0),
                    leave(2, ++sequence),
                    move(2, ++sequence, 3, 200),
                    move(2, ++sequence, 10, 100),
                    move(2, ++sequence, -1, 100),
                    move(2, ++sequence, 3, 0));
            Config before = machine.latest();
            for (CtrlCommand command : bad) {
                CtrlCommandResult result = apply(machine, command);
                assertEquals(ErrorCode.INVALID_ARGUMENT, result.getCode(), command::toString);
                assertTrue(!result.getMessage().isEmpty(), command::toString);
                assertEquals(before, machine.latest(), () -> "configuration changed by " + command);
            }
            assertEquals(ErrorCode.INVALID_ARGUMENT, apply(machine, join(2, 2, group(100, "x:1"))).getCode(),
                    "a retried refusal is refused again");
            CtrlCommandResult noSession = apply(machine, join(0, 0, group(400, "127.0.0.1:7004")));
            assertEquals(ErrorCode.INVALID_ARGUMENT, noSession.getCode());
            assertEquals(before, machine.latest());
        }
    }

    @Test
    void moveMakesANewConfigurationWithoutRebalancing() throws IOException {
        try (ControllerStateMachine machine = ControllerStateMachine.open(dir.resolve("c"), 10, TTL)) {
            apply(machine, join(1, 1, group(100, "127.0.0.1:7001"), group(200, "127.0.0.1:7002")));
            Config before = machine.latest();
            int shard = before.getShardsList().indexOf(100L);
            assertEquals(ErrorCode.OK, apply(machine, move(1, 2, shard, 200)).getCode());
            Config after = machine.latest();
            assertEquals(before.getNum() + 1, after.getNum());
            assertEquals(200, after.getShards(shard));
            assertEquals(1, Rebalancer.ownerChanges(ConfigChanges.shardsOf(before), ConfigChanges.shardsOf(after)));
            assertEquals(ErrorCode.OK, apply(machine, move(1, 3, shard, 200)).getCode(),
                    "a move to the current owner is still a new configuration");
            assertEquals(after.getNum() + 1, machine.latest().getNum());
        }
    }

    @Test
    void setServersReplacesAGroupsServersAndMovesNoShard() throws IOException {
        try (ControllerStateMachine machine = ControllerStateMachine.open(dir.resolve("c"), 10, TTL)) {
            apply(machine, join(1, 1, group(100, "127.0.0.1:7001", "127.0.0.1:7002", "127.0.0.1:7003"),
                    group(200, "127.0.0.1:7011")));
            Config before = machine.latest();
            CtrlCommandResult set = apply(machine, setServers(1, 2, group(100, "127.0.0.1:7001", "127.0.0.1:7002",
                    "127.0.0.1:7004")));
            assertEquals(ErrorCode.OK, set.getCode(), set::toString);
            Config after = machine.latest();
            assertEquals(before.getNum() + 1, after.getNum());
            assertEquals(before.getShardsList(), after.getShardsList(), "no shard moves");
            assertEquals(List.of("127.0.0.1:7001", "127.0.0.1:7002", "127.0.0.1:7004"),
                    ConfigChanges.groupsOf(after).get(100L).getServersList());
            assertEquals(ConfigChanges.groupsOf(before).get(200L), ConfigChanges.groupsOf(after).get(200L));

            for (CtrlCommand bad : List.of(setServers(1, 3, group(300, "127.0.0.1:7021")),
                    setServers(1, 4, group(100)), setServers(1, 5), setServers(1, 6, group(100, "no-port")))) {
                CtrlCommandResult refused = apply(machine, bad);
                assertEquals(ErrorCode.INVALID_ARGUMENT, refused.getCode(), bad::toString);
                assertEquals(after, machine.latest(), "a refused set-servers changes nothing");
            }
            assertTrue(apply(machine, setServers(1, 7, group(300, "127.0.0.1:7021"))).getMessage()
                    .contains("group 300 is not in configuration " + after.getNum()));
        }
    }

    @Test
    void everyConfigurationAndSessionSurvivesAReopen() throws IOException {
        Path state = dir.resolve("c");
        Config latest;
        try (ControllerStateMachine machine = ControllerStateMachine.open(state, 10, TTL)) {
            apply(machine, join(1, 1, group(100, "127.0.0.1:7001")));
            apply(machine, join(1, 2, group(200, "127.0.0.1:7002")));
            apply(machine, leave(1, 3, 100));
            machine.sync();
            latest = machine.latest();
        }
        try (ControllerStateMachine machine = ControllerStateMachine.open(state, 10, TTL)) {
            assertEquals(latest, machine.latest());
            assertEquals(index, machine.appliedIndex());
            assertEquals(1, machine.query(1).getGroupsCount());
            assertEquals(2, machine.query(2).getGroupsCount());
            CtrlCommandResult retry = apply(machine, leave(1, 3, 100));
            assertEquals(ErrorCode.OK, retry.getCode(), "the session survived: the retry is answered, not refused");
            assertEquals(latest, machine.latest());
        }
    }

    @Test
    void anotherShardCountOnReopenIsAClearError() throws IOException {
        Path state = dir.resolve("c");
        ControllerStateMachine.open(state, 10, TTL).close();
        IOException error = assertThrows(IOException.class, () -> ControllerStateMachine.open(state, 12, TTL));
        assertTrue(error.getMessage().contains("--shards 10"), error.getMessage());
        assertTrue(error.getMessage().contains("--shards 12"), error.getMessage());
    }

    @Test
    void replicasStoreTheSameBytesAndASnapshotRestoresThemExactly() throws Exception {
        try (ControllerStateMachine a = ControllerStateMachine.open(dir.resolve("a"), 10, TTL);
                ControllerStateMachine b = ControllerStateMachine.open(dir.resolve("b"), 10, TTL);
                ControllerStateMachine c = ControllerStateMachine.open(dir.resolve("c"), 10, TTL)) {
            List<CtrlCommand> commands = List.of(
                    join(1, 1, group(300, "127.0.0.1:7003"), group(100, "127.0.0.1:7001")),
                    join(2, 1, group(200, "127.0.0.1:7002")),
                    move(1, 2, 0, 300),
                    leave(2, 2, 100),
                    join(1, 3, group(400, "127.0.0.1:7004", "127.0.0.1:7005")));
            long start = index;
            for (ControllerStateMachine machine : List.of(a, b)) {
                index = start;
                for (CtrlCommand command : commands) {
                    apply(machine, command);
                }
            }
            for (long num = 0; num <= a.latest().getNum(); num++) {
                assertArrayEquals(a.storedConfig(num), b.storedConfig(num), "configuration " + num);
            }
            assertArrayEquals(a.contentHash(), b.contentHash());

            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (SnapshotSource snapshot = a.captureSnapshot()) {
                snapshot.writeTo(bytes);
                c.restoreSnapshot(snapshot.index(), 1, new ByteArrayInputStream(bytes.toByteArray()));
            }
            assertEquals(a.appliedIndex(), c.appliedIndex());
            assertArrayEquals(a.contentHash(), c.contentHash());
            for (long num = 0; num <= a.latest().getNum(); num++) {
                assertArrayEquals(a.storedConfig(num), c.storedConfig(num), "configuration " + num);
            }
            index = a.appliedIndex();
            CtrlCommandResult retry = apply(c, join(1, 3, group(400, "127.0.0.1:7004", "127.0.0.1:7005")));
            assertEquals(ErrorCode.OK, retry.getCode(), "the restored sessions answer the retry");
            assertEquals(a.latest(), c.latest(), "and it made no new configuration");
        }
    }

    @Test
    void aRestoredStateIsWhatReopens() throws Exception {
        Path target = dir.resolve("target");
        byte[] snapshotBytes;
        long snapshotIndex;
        try (ControllerStateMachine source = ControllerStateMachine.open(dir.resolve("source"), 10, TTL)) {
            index = 9; // the source is further along the log than the target
            apply(source, join(1, 1, group(100, "127.0.0.1:7001")));
            apply(source, join(1, 2, group(200, "127.0.0.1:7002")));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (SnapshotSource snapshot = source.captureSnapshot()) {
                snapshot.writeTo(out);
                snapshotIndex = snapshot.index();
            }
            snapshotBytes = out.toByteArray();
        }
        try (ControllerStateMachine machine = ControllerStateMachine.open(target, 10, TTL)) {
            index = 0;
            for (int i = 0; i < 3; i++) {
                apply(machine, join(9, i + 1, group(500 + i, "127.0.0.1:7009"))); // state the snapshot replaces
            }
            machine.restoreSnapshot(snapshotIndex, 1, new ByteArrayInputStream(snapshotBytes));
        }
        try (ControllerStateMachine reopened = ControllerStateMachine.open(target, 10, TTL)) {
            assertEquals(snapshotIndex, reopened.appliedIndex());
            assertEquals(2, reopened.latest().getNum());
            assertEquals(List.of(100L, 200L), List.copyOf(ConfigChanges.groupsOf(reopened.latest()).keySet()));
            assertEquals(null, reopened.storedConfig(3), "nothing of the replaced state is left");
        }
    }

    @Test
    void aSnapshotWithAnotherShardCountIsRefused() throws Exception {
        try (ControllerStateMachine ten = ControllerStateMachine.open(dir.resolve("ten"), 10, TTL);
                ControllerStateMachine five = ControllerStateMachine.open(dir.resolve("five"), 5, TTL)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (SnapshotSource snapshot = ten.captureSnapshot()) {
                snapshot.writeTo(out);
            }
            IOException error = assertThrows(IOException.class,
                    () -> five.restoreSnapshot(0, 1, new ByteArrayInputStream(out.toByteArray())));
            assertTrue(error.getMessage().contains("10 shards"), error.getMessage());
            assertEquals(5, five.latest().getShardsCount());
        }
    }
}
