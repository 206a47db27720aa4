package io.raftkv.raft.sim;

import com.google.protobuf.ByteString;
import io.raftkv.proto.raft.Entry;
import io.raftkv.proto.raft.EntryType;
import io.raftkv.raft.api.StateMachine;
import io.raftkv.raft.core.EntryId;
import io.raftkv.raft.core.MemoryStorage;
import io.raftkv.raft.core.ReadState;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks the Raft safety properties as the simulation runs, incrementally, so each check costs about as much as the
 * event it follows:
 * <ul>
 *   <li>election safety: at most one leader per term;
 *   <li>log matching: two persisted entries with the same index and term hold the same command and follow entries of
 *       the same term (so, by induction, the logs are identical up to there);
 *   <li>leader completeness: a new leader's log holds every entry committed in an earlier term;
 *   <li>state machine safety: every node's committed prefix, and every command it applies, equals the one global
 *       committed log; each node applies it in order without gaps, a snapshot standing for the prefix it covers;
 *   <li>linearizable reads: a read index is at least the commit index known anywhere when the read was requested;
 *   <li>replies: a proposer is told its command was applied only once its entry is committed.
 * </ul>
 * Violations throw {@link SafetyViolation}.
 */
public final class SafetyChecker {
    private final HashMap<Long, String> leaderByTerm = new HashMap<>();

    /** Per log index: the distinct (term, data, previous term) triples persisted by anyone. */
    private final ArrayList<List<Persisted>> persistedByIndex = new ArrayList<>();

    private long committedLength;
    private long[] committedTerms = new long[1024];
    private ByteString[] committedData = new ByteString[1024];
    private long[] prefixDigests = new long[1024];

    private final Map<String, NodeTrack> tracks = new HashMap<>();
    private final HashMap<ByteString, Long> readFloors = new HashMap<>();
    private long checks;
    private long membershipChanges;

    private record Persisted(long term, ByteString data, long previousTerm) {}

    private static final class NodeTrack {
        long checkedCommit;
        long applied;
    }

    void addNode(String id) {
        tracks.put(id, new NodeTrack());
    }

    /** How many individual checks have passed (to show the checker is doing work). */
    public long checks() {
        return checks;
    }

    /** How many membership changes were committed. */
    public long membershipChanges() {
        return membershipChanges;
    }

    /** The highest index known committed anywhere. */
    public long committedIndex() {
        return committedLength;
    }

    /** The term of the committed entry at {@code index} (1 <= index <= committedIndex()). */
    public long committedTerm(long index) {
        return committedTerms[(int) index];
    }

    /** The command committed at {@code index} (empty for a no-op). */
    public ByteString committedData(long index) {
        return committedData[(int) index];
    }

    /** The digest of the committed prefix up to {@code index} (0 for index 0). */
    public long prefixDigest(long index) {
        return index == 0 ? 0 : prefixDigests[(int) index];
    }

    /** The number of distinct leaders seen, keyed by term. */
    public Map<Long, String> leadersByTerm() {
        return java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(leaderByTerm));
    }

    // ---------------------------------------------------------------- election safety

    void onLeader(String id, long term) {
        String previous = leaderByTerm.putIfAbsent(term, id);
        checks++;
        if (previous != null && !previous.equals(id)) {
            throw new SafetyViolation("two leaders in term " + term + ": " + previous + " and " + id);
        }
    }

    /** Called once the first Ready of {@code id}'s leadership in {@code term} is persisted: its log is in storage. */
    void checkLeaderCompleteness(String id, long term, MemoryStorage storage) {
        // The last committed index of an earlier term (terms along the committed log never decrease).
        int lo = 0;
        int hi = (int) committedLength;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (committedTerms[mid] < term) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        long index = lo;
        checks++;
        if (index == 0) {
            return;
        }
        if (storage.lastIndex() < index) {
            throw new SafetyViolation("leader " + id + " of term " + term + " lacks committed entry " + index
                    + " (its log ends at " + storage.lastIndex() + ")");
        }
        if (index >= storage.firstIndex() - 1 && storage.term(index) != committedTerms[(int) index]) {
            throw new SafetyViolation("leader " + id + " of term " + term + " has term " + storage.term(index)
                    + " at committed index " + index + ", committed term is " + committedTerms[(int) index]);
        }
    }

    // ---------------------------------------------------------------- log matching and commit

    /**
     * {@code id} persisted {@code entries} (after installing a snapshot, if any); its commit index is now
     * {@code commit}.
     */
    void onPersisted(String id, MemoryStorage storage, List<Entry> entries, long snapshotIndex, long snapshotTerm,
            long commit) {
        NodeTrack track = tracks.get(id);
        if (snapshotIndex > 0) {
            requireCommitted(id, snapshotIndex, snapshotTerm, "installed snapshot");
            track.checkedCommit = Math.max(track.checkedCommit, snapshotIndex);
        }
        for (Entry e : entries) {
            long previousTerm = storage.term(e.getIndex() - 1);
            checkLogMatching(id, e, previousTerm);
        }
        if (commit > track.checkedCommit) {
            List<Entry> newlyCommitted = storage.entries(track.checkedCommit + 1, commit + 1, Long.MAX_VALUE);
            for (Entry e : newlyCommitted) {
                commitEntry(id, e);
            }
            track.checkedCommit = commit;
        }
    }

    private void checkLogMatching(String id, Entry e, long previousTerm) {
        int index = (int) e.getIndex();
        while (persistedByIndex.size() <= index) {
            persistedByIndex.add(null);
        }
        List<Persisted> seen = persistedByIndex.get(index);
        if (seen == null) {
            seen = new ArrayList<>(2);
            persistedByIndex.set(index, seen);
        }
        checks++;
        for (Persisted p : seen) {
            if (p.term == e.getTerm()) {
                if (!p.data.equals(e.getData()) || p.previousTerm != previousTerm) {
                    throw new SafetyViolation("log matching violated at index " + index + " term " + e.getTerm()
                            + " on " + id + ": data or previous term differ (previous term " + previousTerm
                            + " vs " + p.previousTerm + ")");
                }
                return;
            }
        }
        seen.add(new Persisted(e.getTerm(), e.getData(), previousTerm));
    }

    private void commitEntry(String id, Entry e) {
        long index = e.getIndex();
        checks++;
        if (index <= committedLength) {
            int i = (int) index;
            if (committedTerms[i] != e.getTerm() || !committedData[i].equals(e.getData())) {
                throw new SafetyViolation(id + " committed a different entry at " + index + " (term " + e.getTerm()
                        + " vs committed term " + committedTerms[i] + ")");
            }
            return;
        }
        if (index != committedLength + 1) {
            throw new SafetyViolation(id + " committed " + index + " beyond the known committed prefix "
                    + committedLength);
        }
        if (committedLength > 0 && e.getTerm() < committedTerms[(int) committedLength]) {
            throw new SafetyViolation("committed terms decrease at " + index + " on " + id);
        }
        int i = (int) index;
        if (i >= committedTerms.length) {
            int cap = committedTerms.length * 2;
            committedTerms = Arrays.copyOf(committedTerms, cap);
            committedData = Arrays.copyOf(committedData, cap);
            prefixDigests = Arrays.copyOf(prefixDigests, cap);
        }
        committedTerms[i] = e.getTerm();
        committedData[i] = e.getData();
        membershipChanges += e.getType() == EntryType.ENTRY_CONF_CHANGE ? 1 : 0;
        // The digest of what a state machine is given for the entry (nothing for a membership change).
        prefixDigests[i] = Digests.next(prefixDigest(index - 1), index, StateMachine.Command.of(e).data());
        committedLength = index;
    }

    private void requireCommitted(String id, long index, long term, String what) {
        checks++;
        if (index > committedLength) {
            throw new SafetyViolation(id + " " + what + " at " + index + " beyond the known committed prefix "
                    + committedLength);
        }
        if (committedTerms[(int) index] != term) {
            throw new SafetyViolation(id + " " + what + " at " + index + " has term " + term
                    + ", the committed entry there has term " + committedTerms[(int) index]);
        }
    }

    // ---------------------------------------------------------------- application

    void onApplied(String id, Entry e) {
        NodeTrack track = tracks.get(id);
        checks++;
        if (e.getIndex() != track.applied + 1) {
            throw new SafetyViolation(id + " applied " + e.getIndex() + " after " + track.applied);
        }
        if (e.getIndex() > committedLength) {
            throw new SafetyViolation(id + " applied " + e.getIndex() + " before it was known committed ("
                    + committedLength + ")");
        }
        int i = (int) e.getIndex();
        if (committedTerms[i] != e.getTerm() || !committedData[i].equals(e.getData())) {
            throw new SafetyViolation(id + " applied a command at " + i + " that differs from the committed one");
        }
        track.applied = e.getIndex();
    }

    /**
     * A proposer on {@code id} was told its command {@code data}, placed as entry {@code entry}, was applied: the
     * entry must be committed, with that command.
     */
    void onProposalApplied(String id, EntryId entry, ByteString data) {
        checks++;
        long index = entry.index();
        if (index > committedLength || committedTerms[(int) index] != entry.term()
                || !committedData[(int) index].equals(data)) {
            throw new SafetyViolation(id + " told a proposer that entry " + entry + " was applied, but it is not"
                    + " committed (committed up to " + committedLength + ")");
        }
    }

    void onSnapshotInstalled(String id, long index, long term) {
        NodeTrack track = tracks.get(id);
        requireCommitted(id, index, term, "restored snapshot");
        if (index <= track.applied) {
            throw new SafetyViolation(id + " installed a snapshot at " + index + " after applying " + track.applied);
        }
        track.applied = index;
    }

    /** After applying or restoring, a digesting state machine must hold exactly the committed prefix. */
    void checkDigest(String id, long appliedIndex, long digest) {
        checks++;
        if (appliedIndex > committedLength || prefixDigest(appliedIndex) != digest) {
            throw new SafetyViolation(id + "'s state machine at " + appliedIndex
                    + " does not match the committed prefix");
        }
    }

    /** A node restarted with a state machine that has applied up to {@code applied} (restored from its snapshot). */
    void onRestart(String id, long applied, long snapshotIndex, long snapshotTerm) {
        if (snapshotIndex > 0) {
            requireCommitted(id, snapshotIndex, snapshotTerm, "persisted snapshot");
        }
        NodeTrack track = tracks.get(id);
        track.applied = applied;
    }

    // ---------------------------------------------------------------- reads

    void onReadRequested(ByteString context) {
        readFloors.put(context, committedLength);
    }

    void onReadState(String id, ReadState read) {
        Long floor = readFloors.get(read.context());
        checks++;
        if (floor == null) {
            throw new SafetyViolation(id + " confirmed a read nobody requested: " + read);
        }
        if (read.index() < floor) {
            throw new SafetyViolation(id + " confirmed a read at index " + read.index() + " although " + floor
                    + " was already committed when it was requested");
        }
    }

    /** Per-node applied index as the checker tracked it. */
    public long applied(String id) {
        return tracks.get(id).applied;
    }
}
