package io.raftkv.kv.state;

/** The steps of installing a snapshot, in order; a crash before COMMITTED keeps the old state, after it the new. */
public enum RestoreStep {
    /** The archive is unpacked and verified into the next state directory, not yet opened. */
    UNPACKED,
    /** The new database opened and its applied index matches. */
    VERIFIED,
    /** ACTIVE names the new state directory: from here on a restart finds the new state. */
    COMMITTED,
    /** Readers see the new state; the old directory goes once its last reader is done. */
    SWAPPED;

    /** Observes the steps (tests stop a process at each one to check crash safety). */
    public interface Listener {
        Listener NONE = step -> { };

        void reached(RestoreStep step);
    }
}
