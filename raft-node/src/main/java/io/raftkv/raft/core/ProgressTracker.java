package io.raftkv.raft.core;

import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The voters, the leader's progress for each of them, and the votes of the current election. */
final class ProgressTracker {
    enum VoteResult { PENDING, WON, LOST }

    private final List<String> voters;
    private final int maxInflight;
    private final LinkedHashMap<String, Progress> progress = new LinkedHashMap<>();
    /** Votes of the election this node runs in its current term. */
    private final HashMap<String, Boolean> votes = new HashMap<>();
    /** Answers to the pre-vote round this node runs for the next term. */
    private final HashMap<String, Boolean> preVotes = new HashMap<>();
    private final long[] matchScratch;

    ProgressTracker(List<String> voters, int maxInflight) {
        this.voters = List.copyOf(voters);
        this.maxInflight = maxInflight;
        this.matchScratch = new long[voters.size()];
    }

    List<String> voters() {
        return voters;
    }

    int quorum() {
        return voters.size() / 2 + 1;
    }

    boolean isSingleton() {
        return voters.size() == 1;
    }

    Progress get(String id) {
        return progress.get(id);
    }

    /** Fresh progress for everyone: nothing known to match, next is after {@code lastIndex}. */
    void resetProgress(long lastIndex) {
        progress.clear();
        for (String id : voters) {
            progress.put(id, new Progress(lastIndex + 1, maxInflight));
        }
    }

    /** The largest index a quorum of voters has acknowledged. */
    long quorumMatch() {
        for (int k = 0; k < voters.size(); k++) {
            matchScratch[k] = progress.get(voters.get(k)).match;
        }
        Arrays.sort(matchScratch);
        return matchScratch[voters.size() - quorum()];
    }

    /** Whether a quorum (counting {@code self}) was heard from since the last call to {@link #markAllInactive}. */
    boolean quorumActive(String self) {
        int active = 0;
        for (String id : voters) {
            if (id.equals(self) || progress.get(id).recentActive) {
                active++;
            }
        }
        return active >= quorum();
    }

    void markAllInactive(String self) {
        for (Map.Entry<String, Progress> e : progress.entrySet()) {
            e.getValue().recentActive = e.getKey().equals(self);
        }
    }

    void resetVotes() {
        votes.clear();
        preVotes.clear();
    }

    void resetPreVotes() {
        preVotes.clear();
    }

    void recordVote(String id, boolean granted) {
        votes.putIfAbsent(id, granted);
    }

    void recordPreVote(String id, boolean granted) {
        preVotes.putIfAbsent(id, granted);
    }

    VoteResult tallyVotes() {
        return tally(votes);
    }

    VoteResult tallyPreVotes() {
        return tally(preVotes);
    }

    private VoteResult tally(Map<String, Boolean> votes) {
        int granted = 0;
        int rejected = 0;
        for (String id : voters) {
            Boolean v = votes.get(id);
            if (v == null) {
                continue;
            }
            if (v) {
                granted++;
            } else {
                rejected++;
            }
        }
        if (granted >= quorum()) {
            return VoteResult.WON;
        }
        if (voters.size() - rejected < quorum()) {
            return VoteResult.LOST;
        }
        return VoteResult.PENDING;
    }

    Map<String, Progress> progressMap() {
        return progress;
    }
}
