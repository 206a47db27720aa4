package io.raftkv.raft.core;

import io.raftkv.proto.raft.MessageType;

/** What kinds of peer messages mean to the core, in one place. */
final class MessageKinds {
    private MessageKinds() {
    }

    /**
     * Messages only a leader sends. They are taken from a node this one does not count as a member: a node whose log
     * lags behind the leader's own addition must still be able to catch up from it (dissertation 4.1).
     */
    static boolean fromALeader(MessageType type) {
        return type == MessageType.MSG_APPEND || type == MessageType.MSG_HEARTBEAT || type == MessageType.MSG_SNAPSHOT
                || type == MessageType.MSG_TIMEOUT_NOW || type == MessageType.MSG_READ_INDEX_RESPONSE;
    }

    /**
     * Messages that tell a peer something is durable here: a vote (the voter must not vote again in this term after
     * a crash) and an append acknowledgement (the entries count towards commit). Both wait for the write.
     */
    static boolean promisesDurability(MessageType type) {
        return type == MessageType.MSG_VOTE_RESPONSE || type == MessageType.MSG_APPEND_RESPONSE;
    }
}
