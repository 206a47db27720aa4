package io.raftkv.raft.sim;

import io.raftkv.proto.raft.ConfChange;
import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.ProposeResult;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * One randomized run: a cluster of 3 or 5 nodes with randomly chosen tuning, clients proposing and reading without
 * pause, and a chaos actor that crashes and restarts nodes, isolates them, partitions the cluster, changes the
 * network's loss, duplication and delays, and moves leadership around, all at random, for a given number of steps.
 * A run with membership changes starts three voters and two nodes outside the group, and the chaos actor also adds
 * learners, promotes them and removes members (re-adding removed ones later) through whichever node leads.
 * Every choice comes from the seed. The safety checker watches throughout; at the end the network is healed and the
 * cluster must commit a new command on every node (liveness).
 */
public final class ChaosRun {
    /** What a run did, for reporting. */
    public record Result(long seed, long steps, long virtualMicros, long committed, long committedDigest, long leaders,
            long messages, long checks, long membershipChanges) {}

    private final long seed;
    private final long targetSteps;
    private final Mutation mutation;
    private final CrashLoss crashLoss;
    private final boolean membershipChanges;
    private Simulation sim;
    private RandomGenerator random;
    private long proposals;
    private String lastLeader = "";
    private boolean calm;

    public ChaosRun(long seed, long targetSteps) {
        this(seed, targetSteps, Mutation.NONE);
    }

    /** A run with a deliberate bug, to show the checker catches it (see {@link SafetyCheckerMutationTest}). */
    ChaosRun(long seed, long targetSteps, Mutation mutation) {
        this(seed, targetSteps, mutation, CrashLoss.NONE);
    }

    /** A run whose crashes do {@code crashLoss} to the writes not yet fsynced (a power loss, say). */
    ChaosRun(long seed, long targetSteps, Mutation mutation, CrashLoss crashLoss) {
        this(seed, targetSteps, mutation, crashLoss, false);
    }

    /** A run whose chaos also changes the group's membership. */
    ChaosRun(long seed, long targetSteps, Mutation mutation, CrashLoss crashLoss, boolean membershipChanges) {
        this.membershipChanges = membershipChanges;
        this.seed = seed;
        this.targetSteps = targetSteps;
        this.mutation = mutation;
        this.crashLoss = crashLoss;
    }

    /** Runs it; throws {@link SafetyViolation} or {@link AssertionError} (naming the seed) if something breaks. */
    public Result run() {
        try {
            build();
            while (sim.steps() < targetSteps) {
                if (!sim.step()) {
                    throw new AssertionError("nothing left to simulate");
                }
            }
            checkLiveness();
            long committed = sim.checker().committedIndex();
            return new Result(seed, sim.steps(), sim.now(), committed, sim.checker().prefixDigest(committed),
                    sim.checker().leadersByTerm().size(), sim.network().messagesSent(), sim.checker().checks(),
                    sim.checker().membershipChanges());
        } catch (AssertionError | RuntimeException e) {
            String state = sim == null ? "" : "\n" + sim.describe();
            AssertionError failure = new AssertionError("seed " + seed + " failed after "
                    + (sim == null ? 0 : sim.steps()) + " steps: " + e + "\nre-run with -Draftkv.sim.seed=" + seed
                    + state, e);
            throw failure;
        }
    }

    private void build() {
        // Draw the configuration from a generator of its own so it does not depend on the simulation's draws.
        java.util.SplittableRandom setup = new java.util.SplittableRandom(seed ^ 0x5DEECE66DL);
        int nodes = setup.nextBoolean() && !membershipChanges ? 3 : 5;
        int[] snapshotChoices = {0, 3, 10, 50};
        int[] batchChoices = {1, 3, 64};
        int[] inflightChoices = {1, 4, 256};
        int batch = batchChoices[setup.nextInt(batchChoices.length)];
        int inflight = inflightChoices[setup.nextInt(inflightChoices.length)];
        long maxBytes = setup.nextInt(4) == 0 ? 40 : 1 << 20;
        // Mostly the production settings; sometimes without PreVote or CheckQuorum: safety must not depend on them.
        int mode = setup.nextInt(8);
        boolean preVote = mode != 1 && mode != 3;
        boolean checkQuorum = mode != 2 && mode != 3;
        SimConfig config = SimConfig.builder(nodes, seed)
                .joiners(membershipChanges ? 2 : 0)
                .snapshotEvery(snapshotChoices[setup.nextInt(snapshotChoices.length)])
                .syncMicros(100, 100 + setup.nextInt(5) * 1000L)
                .raftTuning(b -> b.maxEntriesPerAppend(batch).maxInflightAppends(inflight).maxBytesPerAppend(maxBytes)
                        .preVote(preVote).checkQuorum(checkQuorum)
                        .unsafeCommitOlderTermsForTesting(mutation == Mutation.COMMIT_OLDER_TERMS)
                        .unsafeSkippedMembershipRuleForTesting(mutation.skippedMembershipRule()))
                .crashLoss(crashLoss)
                .mutation(mutation)
                .build();
        sim = new Simulation(config);
        random = sim.random();
        randomizeNetwork();
        scheduleClient();
        scheduleReader();
        scheduleChaos();
    }

    private void randomizeNetwork() {
        double[] drops = {0, 0, 0.01, 0.05, 0.2};
        double[] dups = {0, 0, 0.02, 0.1};
        double[] longs = {0, 0, 0.01, 0.1, 0.3};
        sim.network().dropRate(drops[random.nextInt(drops.length)])
                .duplicateRate(dups[random.nextInt(dups.length)])
                .delay(100, (1 + random.nextInt(20)) * Scheduler.MILLIS)
                .longDelays(longs[random.nextInt(longs.length)], (1 + random.nextInt(5)) * Scheduler.SECONDS);
    }

    private void scheduleClient() {
        sim.scheduler().after(Scheduler.MILLIS + random.nextLong(30 * Scheduler.MILLIS), () -> {
            SimNode target = lastLeader.isEmpty() || random.nextInt(5) == 0
                    ? sim.node(random.nextInt(sim.nodes().size())) : sim.node(lastLeader);
            ProposeResult r = target.propose(command(++proposals));
            if (r instanceof ProposeResult.NotLeader nl) {
                lastLeader = nl.leaderId();
            } else if (r instanceof ProposeResult.Accepted) {
                lastLeader = target.id();
            }
            scheduleClient();
        });
    }

    private void scheduleReader() {
        sim.scheduler().after(20 * Scheduler.MILLIS + random.nextLong(200 * Scheduler.MILLIS), () -> {
            sim.node(random.nextInt(sim.nodes().size())).readIndex();
            scheduleReader();
        });
    }

    private void scheduleChaos() {
        sim.scheduler().after(50 * Scheduler.MILLIS + random.nextLong(Scheduler.SECONDS), () -> {
            if (!calm) {
                chaosAction();
                scheduleChaos();
            }
        });
    }

    private void chaosAction() {
        List<SimNode> nodes = sim.nodes();
        SimNode victim = nodes.get(random.nextInt(nodes.size()));
        switch (random.nextInt(membershipChanges ? 15 : 12)) {
            case 0, 1 -> sim.crash(victim.id());
            case 2, 3, 4 -> {
                for (SimNode n : nodes) {
                    if (!n.isUp()) {
                        sim.restart(n.id());
                        break;
                    }
                }
            }
            case 5 -> sim.isolate(victim.id());
            case 6 -> sim.reconnect(victim.id());
            case 7 -> {
                List<String> side = new ArrayList<>();
                for (SimNode n : nodes) {
                    if (random.nextBoolean()) {
                        side.add(n.id());
                    }
                }
                sim.partition(List.of(side));
            }
            case 8 -> sim.heal();
            case 9 -> randomizeNetwork();
            case 10 -> sim.leader().ifPresent(l -> l.transferLeadership(victim.id()));
            case 12, 13, 14 -> sim.leader().ifPresent(l -> {
                for (int k = 1 + random.nextInt(2); k > 0; k--) {
                    changeMembership(l); // a second at once is refused unless a bug lets it through
                }
            });
            default -> {
                // A crashed leader is the most interesting crash: target it specifically.
                sim.leader().ifPresent(l -> sim.crash(l.id()));
            }
        }
    }

    /**
     * Proposes a random change the membership allows: add an outsider (a joiner, or a removed node) as a learner,
     * promote a learner, remove a learner, or remove a voter while at least four remain. The leader may refuse it.
     */
    private void changeMembership(SimNode leader) {
        Membership m = leader.membership();
        List<String> outsiders = sim.ids().stream().filter(id -> !m.isMember(id)).toList();
        ConfChange change = switch (random.nextInt(4)) {
            case 0 -> outsiders.isEmpty() ? null : MembershipOps.addLearner(pick(outsiders));
            case 1 -> m.learners().isEmpty() ? null : MembershipOps.promote(pick(m.learners()));
            case 2 -> m.learners().isEmpty() ? null : MembershipOps.remove(pick(m.learners()));
            default -> m.voters().size() < 4 ? null : MembershipOps.remove(pick(m.voters()));
        };
        if (change != null) {
            leader.proposeMembershipChange(change);
        }
    }

    private String pick(List<String> ids) {
        return ids.get(random.nextInt(ids.size()));
    }

    private void checkLiveness() {
        calm = true;
        sim.heal();
        sim.network().dropRate(0).duplicateRate(0).longDelays(0, 0).delay(100, 5 * Scheduler.MILLIS);
        for (SimNode n : sim.nodes()) {
            sim.restart(n.id());
        }
        long marker = -1 - proposals;
        byte[] finalCommand = command(marker);
        long index = -1;
        long deadline = sim.now() + 60 * Scheduler.SECONDS;
        while (sim.now() < deadline) {
            if (index < 0) {
                var leader = sim.leader();
                if (leader.isPresent() && leader.get().propose(finalCommand) instanceof ProposeResult.Accepted a) {
                    index = a.index();
                } else {
                    sim.runFor(100 * Scheduler.MILLIS);
                    continue;
                }
            }
            long target = index;
            if (sim.runUntil(() -> allApplied(target), 3 * Scheduler.SECONDS)) {
                if (sim.checker().committedData(target).equals(com.google.protobuf.ByteString.copyFrom(finalCommand))) {
                    return;
                }
            }
            index = -1; // another entry took that index, or it is not applied everywhere yet: propose again
        }
        throw new AssertionError("no progress within 60 s of healing the cluster");
    }

    /** Whether every member (as the leader sees the membership) has applied {@code index}. */
    private boolean allApplied(long index) {
        var leader = sim.leader();
        if (leader.isEmpty()) {
            return false;
        }
        for (String id : leader.get().membership().members()) {
            if (sim.checker().applied(id) < index) {
                return false;
            }
        }
        return true;
    }

    private static byte[] command(long n) {
        return ByteBuffer.allocate(8).putLong(n).array();
    }

    Simulation simulation() {
        return sim;
    }
}
