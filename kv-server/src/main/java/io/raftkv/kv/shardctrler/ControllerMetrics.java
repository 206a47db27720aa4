package io.raftkv.kv.shardctrler;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.raftkv.proto.shardctrler.Config;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The controller's gauges, updated with each new configuration: {@code shardctrler.config.num} (the latest
 * configuration's number), {@code shardctrler.groups} (its groups) and {@code shardctrler.group.shards} (the shards
 * each group holds, tagged {@code group=<gid>}; a group that left disappears).
 */
public final class ControllerMetrics implements Consumer<Config> {
    private final AtomicLong num = new AtomicLong();
    private final AtomicLong groups = new AtomicLong();
    private final MultiGauge shardsPerGroup;

    public ControllerMetrics(MeterRegistry registry) {
        Gauge.builder("shardctrler.config.num", num, AtomicLong::get).strongReference(true)
                .description("Number of the latest configuration").register(registry);
        Gauge.builder("shardctrler.groups", groups, AtomicLong::get).strongReference(true)
                .description("Replica groups in the latest configuration").register(registry);
        shardsPerGroup = MultiGauge.builder("shardctrler.group.shards")
                .description("Shards each replica group holds in the latest configuration").register(registry);
    }

    @Override
    public void accept(Config latest) {
        num.set(latest.getNum());
        groups.set(latest.getGroupsCount());
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        for (Map.Entry<Long, Integer> entry : ConfigChanges.shardCounts(latest).entrySet()) {
            rows.add(MultiGauge.Row.of(Tags.of("group", Long.toString(entry.getKey())), entry.getValue()));
        }
        shardsPerGroup.register(rows, true);
    }
}
