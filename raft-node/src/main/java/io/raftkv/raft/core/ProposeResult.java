package io.raftkv.raft.core;

/** The outcome of {@link RawNode#propose}. */
public sealed interface ProposeResult {

    /**
     * The leader appended the command as entry {@code id}. It is applied there only if that entry is
     * committed; if another entry is later applied at its index, or the term moves on before it commits, the
     * proposal may be lost and the caller should retry.
     */
    record Accepted(EntryId id) implements ProposeResult {
        public long index() {
            return id.index();
        }

        public long term() {
            return id.term();
        }
    }

    /** This node is not the leader; {@code leaderId} is the leader it knows of, or "" if none. */
    record NotLeader(String leaderId) implements ProposeResult {}

    /**
     * This node is the leader but does not take this proposal: a leadership transfer is under way, or a membership
     * change is refused (see {@link RawNode#proposeMembershipChange}); {@code reason} says which.
     */
    record Dropped(String reason) implements ProposeResult {}
}
