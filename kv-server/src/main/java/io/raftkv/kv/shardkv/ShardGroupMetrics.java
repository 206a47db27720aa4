package io.raftkv.kv.shardkv;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.raftkv.proto.kv.ShardState;
import java.util.concurrent.TimeUnit;

/**
 * A replica group's meters: the applied configuration, its shards by state, shards pulled and deleted, bytes
 * migrated, how long each shard took to arrive and the chunks dropped for a bad checksum. (WRONG_GROUP answers are counted with every other result by the
 * Kv service's request metrics.)
 */
final class ShardGroupMetrics implements ShardGroupDriver.PullEvents {
    private final Timer pullTime;
    private final Counter damagedChunks;

    ShardGroupMetrics(ShardGroupReplica replica, MeterRegistry registry) {
        Gauge.builder("shardkv.config.applied", replica, s -> s.view().configNum())
                .description("Number of the configuration this replica has applied").register(registry);
        for (ShardState state : ShardState.values()) {
            if (state == ShardState.UNRECOGNIZED) {
                continue;
            }
            Gauge.builder("shardkv.shards", replica, s -> s.view().count(state))
                    .tag("state", state.name().toLowerCase())
                    .description("Shards of the applied configuration in each state on this replica")
                    .register(registry);
        }
        FunctionCounter.builder("shardkv.shards.pulled", replica, s -> s.counters().shardsPulled())
                .description("Shards this replica installed from their previous owner").register(registry);
        FunctionCounter.builder("shardkv.shards.deleted", replica, s -> s.counters().shardsDeleted())
                .description("Shards this replica deleted after handing them over").register(registry);
        FunctionCounter.builder("shardkv.migrated.bytes", replica, s -> s.counters().bytesPulled())
                .description("Bytes of keys and values this replica installed from other groups")
                .register(registry);
        this.pullTime = Timer.builder("shardkv.pull.time")
                .description("From the first pull of a shard to its last chunk applied, on the leader")
                .register(registry);
        this.damagedChunks = Counter.builder("shardkv.chunks.damaged")
                .description("Chunks pulled from another group that failed their checksum and were dropped")
                .register(registry);
    }

    @Override
    public void shardArrived(long nanos) {
        pullTime.record(nanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void damagedChunk() {
        damagedChunks.increment();
    }
}
