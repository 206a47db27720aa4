package io.raftkv.raft.runtime;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.raftkv.proto.raft.ConfChangeType;
import io.raftkv.raft.core.Membership;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The membership's meters: {@code raft_voters} and {@code raft_learners} as this node's log has them, the membership
 * changes this node proposed that committed ({@code raft_config_changes_total{op}}), and, on the leader, how many
 * entries each learner's log is behind ({@code raft_learner_lag{learner}}). Updated on the event loop.
 */
final class MembershipMetrics {
    private final MeterRegistry registry;
    private final Map<ConfChangeType, Counter> changes = new EnumMap<>(ConfChangeType.class);
    /** Each learner's lag as last published; the gauges read it. */
    private final Map<String, Long> lags = new ConcurrentHashMap<>();
    private final Map<String, Gauge> lagGauges = new HashMap<>();
    private volatile int voters;
    private volatile int learners;

    MembershipMetrics(MeterRegistry registry) {
        this.registry = registry;
        Gauge.builder("raft.voters", this, m -> m.voters).description("Voting members in this node's membership")
                .register(registry);
        Gauge.builder("raft.learners", this, m -> m.learners)
                .description("Learners (members that receive the log but do not vote) in this node's membership")
                .register(registry);
        for (ConfChangeType type : new ConfChangeType[] {ConfChangeType.CONF_ADD_LEARNER,
                ConfChangeType.CONF_PROMOTE_LEARNER, ConfChangeType.CONF_REMOVE_NODE}) {
            changes.put(type, Counter.builder("raft.config.changes").tag("op", op(type))
                    .description("Membership changes this node proposed as leader that committed").register(registry));
        }
    }

    private static String op(ConfChangeType type) {
        return type.name().substring("CONF_".length()).toLowerCase(Locale.ROOT);
    }

    void membershipChanged(Membership membership) {
        voters = membership.voters().size();
        learners = membership.learners().size();
    }

    void changeCommitted(ConfChangeType type) {
        Counter counter = changes.get(type);
        if (counter != null) {
            counter.increment();
        }
    }

    /** The lag of every learner, in entries, as the leader sees it now (empty when this node does not lead). */
    void learnerLags(Map<String, Long> now) {
        lags.putAll(now);
        lags.keySet().retainAll(now.keySet());
        lagGauges.entrySet().removeIf(e -> {
            if (now.containsKey(e.getKey())) {
                return false;
            }
            registry.remove(e.getValue());
            return true;
        });
        for (String learner : now.keySet()) {
            lagGauges.computeIfAbsent(learner, id -> Gauge.builder("raft.learner.lag", lags,
                    l -> l.getOrDefault(id, 0L)).tag("learner", id)
                    .description("Entries a learner's log is behind the leader's (on the leader)").register(registry));
        }
    }
}
