package io.raftkv.kv.shardkv;

import io.raftkv.kv.server.KvBackend;
import io.raftkv.proto.kv.KvCommand;
import io.raftkv.proto.kv.ShardStatus;
import io.raftkv.proto.kv.StatusReply;
import io.raftkv.proto.shardkv.ShardKvCommand;

/** The Kv service's view of one replica of a replica group: writes go into the group's log as shard commands. */
public final class ShardBackend implements KvBackend {
    private final ShardGroupReplica replica;

    public ShardBackend(ShardGroupReplica replica) {
        this.replica = replica;
    }

    @Override
    public byte[] proposal(KvCommand write) {
        return ShardKvCommand.newBuilder().setTimestampMillis(write.getHeader().getTimestampMillis()).setWrite(write).build()
                .toByteArray();
    }

    @Override
    public long refusal(byte[] key) {
        GroupView view = replica.view();
        int shard = view.shardOf(key);
        return shard >= 0 && view.serves(shard) ? -1 : view.configNum();
    }

    @Override
    public Read read(byte[] key) {
        ShardGroupReplica.ReadResult result = replica.get(key);
        return new Read(result.served(), result.value(), result.configNum());
    }

    @Override
    public void describe(StatusReply.Builder status) {
        GroupView view = replica.view();
        long[] keys = replica.keysPerShard();
        status.setGroupId(view.gid()).setConfigNum(view.configNum());
        for (int shard = 0; shard < view.shardCount(); shard++) {
            status.addShards(ShardStatus.newBuilder().setShard(shard).setState(view.stateOf(shard))
                    .setKeys(shard < keys.length ? keys[shard] : 0));
        }
    }
}
