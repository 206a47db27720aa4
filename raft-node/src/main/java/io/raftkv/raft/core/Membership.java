package io.raftkv.raft.core;

import com.google.protobuf.InvalidProtocolBufferException;
import io.raftkv.proto.raft.ConfChange;
import io.raftkv.proto.raft.ConfState;
import io.raftkv.proto.raft.Entry;
import io.raftkv.proto.raft.EntryType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The members of a Raft group: the voters, who elect leaders and make up every quorum, and the learners, who receive
 * the log but do not vote. Immutable; a membership change is {@link #apply(ConfChange)}, which gives the next one.
 *
 * <p>The core never reads an address: it carries them so that the log, snapshots and storage say where each member
 * listens, and a runtime can reach members added while it runs.
 *
 * @param voters the voting members, sorted, at least one
 * @param learners the non-voting members, sorted, none of them a voter
 * @param addresses where members listen for their peers (host:port), by id: only members, not necessarily all
 */
public record Membership(List<String> voters, List<String> learners, Map<String, String> addresses) {

    public Membership {
        voters = sortedDistinct(voters, "voter");
        learners = sortedDistinct(learners, "learner");
        if (voters.isEmpty()) {
            throw new IllegalArgumentException("a group needs at least one voter");
        }
        for (String learner : learners) {
            if (voters.contains(learner)) {
                throw new IllegalArgumentException(learner + " cannot be both a voter and a learner");
            }
        }
        addresses = Collections.unmodifiableMap(new TreeMap<>(Objects.requireNonNull(addresses, "addresses")));
        for (String node : addresses.keySet()) {
            if (!voters.contains(node) && !learners.contains(node)) {
                throw new IllegalArgumentException("an address is given for " + node + ", which is not a member");
            }
        }
    }

    /** A membership that records no addresses. */
    public Membership(List<String> voters, List<String> learners) {
        this(voters, learners, Map.of());
    }

    public static Membership ofVoters(List<String> voters) {
        return new Membership(voters, List.of());
    }

    /** The membership a snapshot, the storage or a membership change entry records. */
    public static Membership of(ConfState state) {
        return new Membership(state.getVotersList(), state.getLearnersList(), state.getAddressesMap());
    }

    public ConfState toConfState() {
        return ConfState.newBuilder().addAllVoters(voters).addAllLearners(learners).putAllAddresses(addresses).build();
    }

    /** This membership with {@code known} addresses added for members that have none recorded. */
    public Membership withAddresses(Map<String, String> known) {
        Map<String, String> all = new TreeMap<>(addresses);
        known.forEach((node, address) -> {
            if (isMember(node)) {
                all.putIfAbsent(node, address);
            }
        });
        return new Membership(voters, learners, all);
    }

    public boolean isVoter(String id) {
        return voters.contains(id);
    }

    public boolean isMember(String id) {
        return voters.contains(id) || learners.contains(id);
    }

    /** Voters, then learners. */
    public List<String> members() {
        List<String> all = new ArrayList<>(voters.size() + learners.size());
        all.addAll(voters);
        all.addAll(learners);
        return all;
    }

    /** How many voters make a majority. */
    public int quorum() {
        return voters.size() / 2 + 1;
    }

    /** Why {@code change} does not fit this membership (adding a member it already has, ...), or null if it does. */
    public String refusal(ConfChange change) {
        String node = change.getNode();
        if (node.isEmpty()) {
            return "a membership change must name a node";
        }
        return switch (change.getType()) {
            case CONF_ADD_LEARNER -> isMember(node) ? node + " is already a " + role(node)
                    : change.getAddress().isEmpty() && !addresses.isEmpty() ? "adding " + node + " needs its address"
                    : null;
            case CONF_PROMOTE_LEARNER -> learners.contains(node) ? null
                    : isVoter(node) ? node + " is already a voter" : node + " is not a member";
            case CONF_REMOVE_NODE -> !isMember(node) ? node + " is not a member"
                    : voters.equals(List.of(node)) ? node + " is the last voter: a group needs one" : null;
            default -> "unknown membership change " + change.getType();
        };
    }

    private String role(String node) {
        return isVoter(node) ? "voter" : "learner";
    }

    /**
     * The membership after {@code change}.
     *
     * @throws IllegalArgumentException if the change does not fit this membership (see {@link #refusal})
     */
    public Membership apply(ConfChange change) {
        String refusal = refusal(change);
        if (refusal != null) {
            throw new IllegalArgumentException(refusal);
        }
        String node = change.getNode();
        List<String> newVoters = new ArrayList<>(voters);
        List<String> newLearners = new ArrayList<>(learners);
        Map<String, String> newAddresses = new TreeMap<>(addresses);
        switch (change.getType()) {
            case CONF_ADD_LEARNER -> {
                newLearners.add(node);
                if (!change.getAddress().isEmpty()) {
                    newAddresses.put(node, change.getAddress());
                }
            }
            case CONF_PROMOTE_LEARNER -> {
                newLearners.remove(node);
                newVoters.add(node);
            }
            default -> { // CONF_REMOVE_NODE: refusal lets no other type through
                newVoters.remove(node);
                newLearners.remove(node);
                newAddresses.remove(node);
            }
        }
        return new Membership(newVoters, newLearners, newAddresses);
    }

    /**
     * The membership after a committed or appended ENTRY_CONF_CHANGE entry: the one its leader recorded in it. This
     * membership is not consulted then, so a node that joined with only a guess of the group's first membership reads
     * every later one right.
     */
    public Membership apply(Entry confEntry) {
        if (confEntry.getType() != EntryType.ENTRY_CONF_CHANGE) {
            throw new IllegalArgumentException("entry " + confEntry.getIndex() + " is not a membership change");
        }
        try {
            ConfChange change = ConfChange.parseFrom(confEntry.getData());
            if (!change.hasAfter()) {
                throw new IllegalArgumentException("the entry does not record the membership after it");
            }
            return of(change.getAfter());
        } catch (InvalidProtocolBufferException | IllegalArgumentException e) {
            // The leader checked the change against the membership this entry follows; every log holds the same one.
            throw new IllegalStateException("membership change at index " + confEntry.getIndex()
                    + " does not apply to " + this + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return learners.isEmpty() ? "voters " + voters : "voters " + voters + ", learners " + learners;
    }

    private static List<String> sortedDistinct(List<String> ids, String what) {
        Objects.requireNonNull(ids, what + "s");
        TreeSet<String> distinct = new TreeSet<>(ids);
        if (distinct.size() != ids.size()) {
            throw new IllegalArgumentException(what + " ids must be distinct: " + ids);
        }
        if (distinct.contains("")) {
            throw new IllegalArgumentException(what + " ids must not be empty");
        }
        return List.copyOf(distinct);
    }
}
