package io.raftkv.raft.sim;

import static io.raftkv.raft.sim.ScenarioCluster.ELECTION_TIMEOUT;
import static io.raftkv.raft.sim.ScenarioCluster.command;
import static io.raftkv.raft.sim.Scheduler.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.raftkv.proto.raft.MessageType;
import io.raftkv.raft.core.ReadState;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Linearizable reads through ReadIndex on the simulator (the checker also verifies every read index it sees). */
class ReadIndexScenariosTest {

    /** Collects confirmed reads by context. */
    private static final class Reads implements SimListener {
        final Map<ByteString, ReadState> confirmed = new HashMap<>();

        @Override
        public void onReadState(SimNode node, ReadState read) {
            confirmed.put(read.context(), read);
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void readsOnLeaderAndFollowersSeeEveryEarlierWriteWithoutWritingTheLog(long seed) {
        ScenarioCluster cfg = new ScenarioCluster(3, false, false, seed);
        Reads reads = new Reads();
        cfg.sim().addListener(reads);
        int leader = cfg.checkOneLeader();
        for (int round = 0; round < 10; round++) {
            long written = cfg.one(command(round), 1, true);
            long lastIndex = cfg.node(leader).status().lastIndex();
            for (int i = 0; i < 3; i++) {
                ByteString ctx = cfg.node(i).readIndex();
                assertNotNull(ctx, "node " + i + " knows the leader and can start a read");
                assertTrue(cfg.sim().runUntil(() -> reads.confirmed.containsKey(ctx), SECONDS));
                assertTrue(reads.confirmed.get(ctx).index() >= written, "the read misses a write before it");
            }
            assertEquals(lastIndex, cfg.node(leader).status().lastIndex(), "reads appended to the log");
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void aDeposedLeaderCannotConfirmReads(long seed) {
        ScenarioCluster cfg = new ScenarioCluster(3, false, false, seed, b -> b.checkQuorum(false));
        Reads reads = new Reads();
        cfg.sim().addListener(reads);
        int old = cfg.checkOneLeader();
        cfg.one(command(1), 3, true);
        cfg.disconnect(old);
        // Without CheckQuorum the old leader keeps believing it leads; its reads must still never be confirmed.
        int fresh = cfg.checkOneLeader();
        long write = cfg.one(command(2), 2, true);
        assertTrue(cfg.node(old).isLeader());
        ByteString stale = cfg.node(old).readIndex();
        ByteString current = cfg.node(fresh).readIndex();
        cfg.sleep(2 * ELECTION_TIMEOUT);
        assertNull(reads.confirmed.get(stale), "a leader without its quorum confirmed a read");
        assertTrue(reads.confirmed.get(current).index() >= write);
        cfg.connect(old);
        cfg.one(command(3), 3, true);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void readsUnderAnUnreliableNetworkStayLinearizable(long seed) {
        // Reads race with writes and message loss; the checker fails the run if any confirmed read index is below
        // the commit index known anywhere when the read started.
        ScenarioCluster cfg = new ScenarioCluster(5, true, false, seed);
        Reads reads = new Reads();
        cfg.sim().addListener(reads);
        cfg.checkOneLeader();
        int started = 0;
        for (int round = 0; round < 200; round++) {
            for (int i = 0; i < 5; i++) {
                cfg.start(i, command(round * 10L + i));
                if (cfg.node(i).readIndex() != null) {
                    started++;
                }
            }
            cfg.sleep(50 * Scheduler.MILLIS);
        }
        cfg.sleep(2 * SECONDS);
        assertTrue(reads.confirmed.size() > started / 2, reads.confirmed.size() + " of " + started + " confirmed");
        assertTrue(cfg.sim().network().sent(MessageType.MSG_READ_INDEX) > 0);
    }
}
