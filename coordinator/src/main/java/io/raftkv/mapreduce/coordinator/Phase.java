package io.raftkv.mapreduce.coordinator;

import java.util.Locale;

/** The two phases of a job: every map task finishes before any reduce task starts. */
enum Phase {
    MAP,
    REDUCE;

    /** Lower-case name for logs and metric tags. */
    String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
