package io.raftkv.kv.client.bench;

import java.util.Locale;

/** Names for failures that no target recognizes, and the kind every target uses for a read that found nothing. */
public final class ErrorKinds {
    /** A get of a key written before the run found nothing. */
    public static final String NOT_FOUND = "not_found";

    private ErrorKinds() {}

    /** {@code other:SimpleClassName}, so unexpected failures still group by type. */
    public static String other(Throwable failure) {
        return "other:" + failure.getClass().getSimpleName();
    }

    /** An enum-like name in the report's lower-case style: {@code DEADLINE_EXCEEDED} to {@code deadline_exceeded}. */
    public static String lower(String name) {
        return name.toLowerCase(Locale.ROOT);
    }
}
