package io.raftkv.raft.runtime;

import io.raftkv.proto.raft.Entry;
import io.raftkv.raft.api.ProposalLostException;
import io.raftkv.raft.core.RaftLog;
import java.util.ArrayDeque;
import java.util.List;
import java.util.function.LongConsumer;

/**
 * The leader's accepted proposals that are not yet committed, in log order (a leader appends at increasing indexes
 * and never rewrites its own log within its term). Committed entries are matched against it: the proposal at the same
 * index and term rides along to the apply thread, which completes it with the state machine's reply; one whose index
 * came back with another entry is lost. Owned by the {@link CoreDriver}.
 */
final class ProposalTracker {
    private final ArrayDeque<PendingProposal> pending = new ArrayDeque<>();

    void add(PendingProposal proposal) {
        pending.addLast(proposal);
    }

    /**
     * Takes the proposals the committed entries (contiguous, in order) resolve. Returns them aligned with
     * {@code committed} (null where an entry is not a local proposal), or null if none is; proposals whose index now
     * holds another entry fail. {@code onCommit} receives the commit latency of each match in nanoseconds.
     */
    PendingProposal[] match(List<Entry> committed, long nowNanos, LongConsumer onCommit) {
        if (pending.isEmpty() || committed.isEmpty()) {
            return null;
        }
        long first = committed.get(0).getIndex();
        long last = committed.get(committed.size() - 1).getIndex();
        PendingProposal[] matched = null;
        PendingProposal p;
        while ((p = pending.peekFirst()) != null && p.id.index() <= last) {
            pending.pollFirst();
            long index = p.id.index();
            if (index < first) {
                p.lose(new ProposalLostException("entry " + index + " was replaced by a snapshot before it was "
                        + "applied here"));
                continue;
            }
            Entry e = committed.get(RaftLog.position(first, index));
            if (e.getTerm() != p.id.term()) {
                p.lose(new ProposalLostException("entry " + index + " of term " + p.id.term()
                        + " was replaced by an entry of term " + e.getTerm()));
                continue;
            }
            if (matched == null) {
                matched = new PendingProposal[committed.size()];
            }
            matched[RaftLog.position(first, index)] = p;
            onCommit.accept(nowNanos - p.startNanos);
        }
        return matched;
    }

    /** Fails the proposals made in terms before {@code term} (the term moved on). */
    void failOlderThan(long term, String why) {
        PendingProposal p;
        while ((p = pending.peekFirst()) != null && p.id.term() < term) {
            pending.pollFirst();
            p.lose(new ProposalLostException("entry " + p.id.index() + " of term " + p.id.term()
                    + " may not be applied: " + why));
        }
    }

    /** Fails every pending proposal (leadership was lost, or the node stops). */
    void failAll(String why) {
        PendingProposal p;
        while ((p = pending.pollFirst()) != null) {
            p.lose(new ProposalLostException("entry " + p.id.index() + " of term " + p.id.term()
                    + " may not be applied: " + why));
        }
    }
}
