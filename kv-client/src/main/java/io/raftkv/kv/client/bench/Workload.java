package io.raftkv.kv.client.bench;

import java.util.SplittableRandom;

/** Which operations a benchmark sends. */
public enum Workload {
    /** Puts only. */
    WRITE,
    /** Linearizable gets only, of keys written beforehand. */
    READ,
    /** Puts and gets, half each, chosen at random; the keys are written beforehand. */
    MIXED;

    /** One operation of a workload. */
    public enum Op { PUT, GET }

    /** The next operation for a client drawing from {@code random}. */
    Op next(SplittableRandom random) {
        return switch (this) {
            case WRITE -> Op.PUT;
            case READ -> Op.GET;
            case MIXED -> random.nextBoolean() ? Op.PUT : Op.GET;
        };
    }

    /** Whether every key must exist before the measured run (so that a get that finds nothing is an error). */
    boolean needsPreload() {
        return this != WRITE;
    }

    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
