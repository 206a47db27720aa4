package io.raftkv.raft.api;

/**
 * A proposal was accepted but will not be applied where it was placed: a different entry was committed at its index,
 * or the leader's term ended first. The command may still have been applied under another leader; retry it with the
 * same identity so the service can deduplicate.
 */
public final class ProposalLostException extends RuntimeException {
    public ProposalLostException(String message) {
        super(message, null, false, false);
    }
}
