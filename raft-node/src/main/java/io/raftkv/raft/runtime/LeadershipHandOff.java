package io.raftkv.raft.runtime;

import io.raftkv.raft.core.Membership;
import io.raftkv.raft.core.RaftStatus;
import io.raftkv.raft.core.Role;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A leader about to stop hands leadership to the voter whose log is most caught up, so the group does not wait an
 * election timeout for a leader it will never hear from again (etcd does the same on a graceful stop).
 */
final class LeadershipHandOff {
    private static final Logger LOG = LoggerFactory.getLogger(LeadershipHandOff.class);

    private LeadershipHandOff() {}

    /** Hands leadership off if {@code node} leads; returns the new leader, or "" if there was nothing to do or none. */
    static String run(RaftNode node, Duration bound) {
        long deadline = System.nanoTime() + bound.toNanos();
        try {
            RaftStatus status = node.raftStatus().get(bound.toNanos(), TimeUnit.NANOSECONDS);
            if (status.role() != Role.LEADER) {
                return "";
            }
            String successor = mostCaughtUpVoter(status, node.configuration());
            if (successor.isEmpty()) {
                LOG.info("{}/{}: no voter is ready to take over leadership", node.group(), node.id());
                return "";
            }
            node.transferLeadership(successor).get(Math.max(0, deadline - System.nanoTime()),
                    TimeUnit.NANOSECONDS);
            LOG.info("{}/{}: handed leadership to {}", node.group(), node.id(), successor);
            return successor;
        } catch (TimeoutException e) {
            LOG.warn("{}/{}: leadership was not handed off within {} ms", node.group(), node.id(), bound.toMillis());
        } catch (ExecutionException | RuntimeException e) {
            LOG.warn("{}/{}: leadership was not handed off: {}", node.group(), node.id(), e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return "";
    }

    /**
     * The voter (not this node) that answered lately with the highest match index, preferring one the leader is
     * streaming entries to over one it is probing (a peer that just went away is probed: its link reported it
     * unreachable); "" if no voter answered lately.
     */
    static String mostCaughtUpVoter(RaftStatus status, Membership membership) {
        String best = "";
        boolean bestReplicating = false;
        long bestMatch = -1;
        for (Map.Entry<String, RaftStatus.FollowerProgress> e : status.followers().entrySet()) {
            String id = e.getKey();
            RaftStatus.FollowerProgress progress = e.getValue();
            if (id.equals(status.id()) || membership == null || !membership.isVoter(id) || !progress.recentActive()) {
                continue;
            }
            boolean replicating = progress.state().equals("REPLICATE");
            if (replicating && !bestReplicating || replicating == bestReplicating && progress.match() > bestMatch) {
                best = id;
                bestReplicating = replicating;
                bestMatch = progress.match();
            }
        }
        return best;
    }
}
