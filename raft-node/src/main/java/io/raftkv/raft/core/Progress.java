package io.raftkv.raft.core;

/**
 * The leader's view of one follower: how much of the log is known to match ({@code match}), what to send next
 * ({@code next}), and how to send it:
 * <ul>
 *   <li>PROBE: the follower's log end is unknown; send one append at a time and learn from the answer;
 *   <li>REPLICATE: the follower is in sync; stream appends optimistically, up to the in-flight limit;
 *   <li>SNAPSHOT: the follower needs a snapshot; send nothing until it is installed (or reported failed).
 * </ul>
 */
final class Progress {
    enum State { PROBE, REPLICATE, SNAPSHOT }

    long match;
    long next;
    State state = State.PROBE;
    /** In SNAPSHOT state, the index of the snapshot sent. */
    long pendingSnapshot;
    /** Sending is paused: a probe is outstanding (PROBE), or the in-flight window is full (REPLICATE). */
    boolean paused;
    /** Heard from since the last CheckQuorum round (the leader counts itself as always active). */
    boolean recentActive;
    /** An append response arrived since the last heartbeat was sent (if not, appends in flight may be lost). */
    boolean answeredSinceHeartbeat;
    final Inflights inflights;

    Progress(long next, int maxInflight) {
        this.next = next;
        this.inflights = new Inflights(maxInflight);
    }

    boolean isPaused() {
        return switch (state) {
            case PROBE, REPLICATE -> paused;
            case SNAPSHOT -> true;
        };
    }

    /** Records an append message just sent that carried entries up to {@code lastIndex} ({@code count} of them). */
    void sentEntries(int count, long lastIndex) {
        switch (state) {
            case REPLICATE -> {
                if (count > 0) {
                    next = lastIndex + 1;
                    inflights.add(lastIndex);
                }
                paused = inflights.full();
            }
            case PROBE -> paused = true;
            case SNAPSHOT -> throw new IllegalStateException("sending entries while a snapshot is pending");
        }
    }

    /** The follower acknowledged entries up to {@code index}; returns whether that is news. */
    boolean maybeUpdate(long index) {
        boolean updated = false;
        if (match < index) {
            match = index;
            updated = true;
            paused = false;
        }
        next = Math.max(next, index + 1);
        return updated;
    }

    /**
     * The follower rejected an append whose previous index was {@code rejected}; {@code matchHint} is the largest
     * index at which the logs may still match. Returns false if the rejection is stale (answers an append the
     * leader has since moved past).
     */
    boolean maybeDecreaseTo(long rejected, long matchHint) {
        if (state == State.REPLICATE) {
            if (rejected <= match) {
                return false; // an old message: everything up to match is already acknowledged
            }
            next = match + 1; // something in flight was lost; fall back to probing from the known match
            return true;
        }
        if (next - 1 != rejected) {
            return false; // not the probe currently outstanding
        }
        next = Math.max(Math.min(rejected, matchHint + 1), match + 1);
        paused = false;
        return true;
    }

    void becomeProbe() {
        if (state == State.SNAPSHOT) {
            long snapshotIndex = pendingSnapshot;
            reset(State.PROBE);
            next = Math.max(match + 1, snapshotIndex + 1);
        } else {
            reset(State.PROBE);
            next = match + 1;
        }
    }

    void becomeReplicate() {
        reset(State.REPLICATE);
        next = match + 1;
    }

    void becomeSnapshot(long snapshotIndex) {
        reset(State.SNAPSHOT);
        pendingSnapshot = snapshotIndex;
        next = snapshotIndex + 1;
    }

    private void reset(State newState) {
        paused = false;
        pendingSnapshot = 0;
        state = newState;
        inflights.reset();
    }
}
