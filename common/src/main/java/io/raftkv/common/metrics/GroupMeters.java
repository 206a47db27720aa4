package io.raftkv.common.metrics;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;

/**
 * The metrics of one Raft group of a process: a registry whose every meter carries {@code group=<id>} and lands in
 * the process's registry, so that one {@code /metrics} shows one series per group. Code that belongs to a group (its
 * node, its state machine, its service) registers here and never names the tag itself. {@link #close} removes the
 * group's series from the process's registry (the group stopped; a restarted one registers fresh meters).
 */
public final class GroupMeters implements AutoCloseable {
    /** The tag every group-owned meter carries. */
    public static final String TAG = "group";

    private final MeterRegistry process;
    private final CompositeMeterRegistry group;

    public GroupMeters(MeterRegistry process, String groupId) {
        this.process = process;
        this.group = new CompositeMeterRegistry(process.config().clock());
        group.config().commonTags(TAG, groupId);
        group.add(process);
    }

    /** Where the group's meters register. */
    public MeterRegistry registry() {
        return group;
    }

    @Override
    public void close() {
        for (Meter meter : group.getMeters()) {
            process.removeByPreFilterId(meter.getId());
        }
        // Detach rather than close: closing a composite closes its children, and the child is the process's registry.
        group.remove(process);
        group.clear();
    }
}
