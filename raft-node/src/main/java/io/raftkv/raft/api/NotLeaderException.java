package io.raftkv.raft.api;

/**
 * This node is not the leader. {@code leaderId} and {@code leaderAddress} name the leader this node knows of (its
 * client-facing address if the service registered one), or are empty when it knows none.
 */
public final class NotLeaderException extends RuntimeException {
    private final String leaderId;
    private final String leaderAddress;

    public NotLeaderException(String leaderId, String leaderAddress) {
        super(leaderId.isEmpty() ? "not the leader; leader unknown" : "not the leader; leader is " + leaderId
                + (leaderAddress.isEmpty() ? "" : " at " + leaderAddress), null, false, false);
        this.leaderId = leaderId;
        this.leaderAddress = leaderAddress;
    }

    public String leaderId() {
        return leaderId;
    }

    public String leaderAddress() {
        return leaderAddress;
    }
}
