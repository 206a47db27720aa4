package io.raftkv.kv.server.sim;

/**
 * How a clerk operation ended.
 *
 * @param status what the cluster answered
 * @param value a Get's value when {@code status} is {@link Status#OK}; null otherwise
 */
record Outcome(Status status, String value) {

    enum Status {
        /** Done (a write applied, a Get found its key). */
        OK,
        /** A Get of a key that does not exist. */
        NOT_FOUND,
        /** The clerk's deadline passed first: a write may or may not have been applied. */
        UNKNOWN,
        /** The cluster refused the request as invalid: it had no effect. */
        REJECTED
    }

    static Outcome ok(String value) {
        return new Outcome(Status.OK, value);
    }

    static Outcome of(Status status) {
        return new Outcome(status, null);
    }

    boolean completed() {
        return status == Status.OK || status == Status.NOT_FOUND;
    }
}
