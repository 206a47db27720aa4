package io.raftkv.raft.sim;

import io.raftkv.raft.api.StateMachine;
import io.raftkv.raft.core.ReadState;
import io.raftkv.raft.core.SoftState;

/**
 * Observes what simulated nodes do, in virtual time: client actors use it to learn when their commands are applied
 * and their reads are safe, tests to record histories. Callbacks run inside simulation steps; they may schedule
 * events and call node handles.
 */
public interface SimListener {

    /** {@code node} applied {@code command} (no-ops included: empty data); {@code reply} is the state machine's. */
    default void onApplied(SimNode node, StateMachine.Command command, byte[] reply) {
    }

    /** {@code node} replaced its state machine with a snapshot covering the log up to {@code index}. */
    default void onSnapshotInstalled(SimNode node, long index, long term) {
    }

    /** A read barrier {@code node} requested is confirmed: serve it once {@code node} has applied read.index(). */
    default void onReadState(SimNode node, ReadState read) {
    }

    /** {@code node}'s role or known leader changed. */
    default void onSoftState(SimNode node, SoftState state) {
    }

    default void onCrash(SimNode node) {
    }

    default void onRestart(SimNode node) {
    }
}
