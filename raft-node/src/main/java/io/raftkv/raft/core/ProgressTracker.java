package io.raftkv.raft.core;

import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The membership, the leader's progress for each member, and the votes of the current election. Only voters count
 * towards a quorum; learners have progress (the leader replicates to them) but no say.
 */
final class ProgressTracker {
    enum VoteResult { PENDING, WON, LOST }

    private Membership membership;
    private List<String> voters;
    private List<String> members;
    private final int maxInflight;
    private final LinkedHashMap<String, Progress> progress = new LinkedHashMap<>();
    /** Votes of the election this node runs in its current term. */
    private final HashMap<String, Boolean> votes = new HashMap<>();
    /** Answers to the pre-vote round this node runs for the next term. */
    private final HashMap<String, Boolean> preVotes = new HashMap<>();
    private long[] matchScratch;

    ProgressTracker(Membership membership, int maxInflight) {
        this.maxInflight = maxInflight;
        use(membership);
    }

    private void use(Membership m) {
        this.membership = m;
        this.voters = m.voters();
        this.members = m.members();
        this.matchScratch = new long[voters.size()];
    }

    Membership membership() {
        return membership;
    }

    List<String> voters() {
        return voters;
    }

    /** Voters and learners: everyone the leader replicates to. */
    List<String> members() {
        return members;
    }

    boolean isVoter(String id) {
        return membership.isVoter(id);
    }

    boolean isMember(String id) {
        return membership.isMember(id);
    }

    /**
     * Switches to {@code next}: a new member gets fresh progress (probing from after {@code lastIndex}), a departed
     * one loses its progress and its vote. The others keep theirs.
     */
    void changeMembership(Membership next, long lastIndex) {
        use(next);
        progress.keySet().retainAll(members);
        votes.keySet().retainAll(voters);
        preVotes.keySet().retainAll(voters);
        for (String id : members) {
            progress.computeIfAbsent(id, k -> new Progress(lastIndex + 1, maxInflight));
        }
    }

    int quorum() {
        return membership.quorum();
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
        for (String id : members) {
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

    /** A voter whose log matches up to {@code index}, or "" if none does. */
    String voterWithMatch(long index) {
        for (String voter : voters) {
            if (progress.get(voter).match >= index) {
                return voter;
            }
        }
        return "";
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

    /** Each member's progress as the status reports it (the leader's view). */
    Map<String, RaftStatus.FollowerProgress> followerProgress() {
        Map<String, RaftStatus.FollowerProgress> out = new LinkedHashMap<>();
        for (Map.Entry<String, Progress> e : progress.entrySet()) {
            Progress pr = e.getValue();
            out.put(e.getKey(), new RaftStatus.FollowerProgress(pr.match, pr.next, pr.state.name(),
                    pr.inflights.count(), pr.recentActive));
        }
        return Collections.unmodifiableMap(out);
    }
}
