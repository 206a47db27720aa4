package io.raftkv.kv.server.sim;

import io.raftkv.raft.sim.Scheduler;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * A wall clock that reads the simulation's virtual time, so the timestamps the Kv service stamps on proposed writes
 * (the log's clock, which expires client sessions) are the same on every run of a seed.
 */
final class VirtualClock extends Clock {
    /** Virtual time zero, as a wall-clock instant (2026-01-01T00:00:00Z). */
    static final Instant ORIGIN = Instant.parse("2026-01-01T00:00:00Z");

    private final Scheduler scheduler;

    VirtualClock(Scheduler scheduler) {
        this.scheduler = scheduler;
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        if (!ZoneOffset.UTC.equals(zone)) {
            throw new UnsupportedOperationException("the virtual clock runs in UTC only");
        }
        return this;
    }

    @Override
    public Instant instant() {
        long micros = scheduler.now();
        return ORIGIN.plusSeconds(micros / 1_000_000).plusNanos((micros % 1_000_000) * 1_000);
    }

    @Override
    public long millis() {
        return ORIGIN.toEpochMilli() + scheduler.now() / 1_000;
    }
}
