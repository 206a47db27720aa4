package io.raftkv.raft.sim;

/**
 * A state machine that can summarize its state as {@link Digests#next} over every command applied so far, in order:
 * the simulator then checks after every apply and snapshot restore that it holds exactly the committed prefix.
 */
public interface Digestible {
    long digest();
}
