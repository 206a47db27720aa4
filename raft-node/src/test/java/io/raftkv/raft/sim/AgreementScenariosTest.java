package io.raftkv.raft.sim;

import static io.raftkv.raft.sim.ScenarioCluster.ELECTION_TIMEOUT;
import static io.raftkv.raft.sim.ScenarioCluster.command;
import static io.raftkv.raft.sim.Scheduler.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.ByteString;
import io.raftkv.raft.core.ProposeResult;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Log agreement (the 6.824 2B scenarios), in virtual time, each over several seeds. */
class AgreementScenariosTest {

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void basicAgree(long seed) {
        ScenarioCluster cfg = new ScenarioCluster(3, false, false, seed);
        long previous = -1;
        for (int i = 1; i <= 3; i++) {
            int leader = cfg.checkOneLeader();
            long next = cfg.node(leader).status().lastIndex() + 1;
            assertEquals(0, cfg.nCommitted(next).count(), "some have committed before Start()");
            long index = cfg.one(command(i * 100L), 3, false);
            assertEquals(next, index);
            if (previous > 0) {
                assertEquals(previous + 1, index, "commands of one stable term take consecutive indexes");
            }
            previous = index;
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void rpcByteCount(long seed) {
        // Each command is sent to each follower once.
        ScenarioCluster cfg = new ScenarioCluster(3, false, false, seed);
        cfg.one(command(99), 3, false);
        long bytes0 = cfg.bytesTotal();
        long sent = 0;
        for (int i = 0; i < 10; i++) {
            byte[] cmd = new byte[5000];
            cfg.sim().random().nextBytes(cmd);
            cfg.one(cmd, 3, false);
            sent += cmd.length;
        }
        long got = cfg.bytesTotal() - bytes0;
        long expected = 3 * sent;
        assertTrue(got <= expected + 50_000, "too many RPC bytes; got " + got + ", expected " + expected);
        System.out.printf("RPC byte count: %d request bytes for %d command bytes (%.2f per follower copy)%n", got,
                sent, got / (2.0 * sent));
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void failAgree(long seed) {
        ScenarioCluster cfg = new ScenarioCluster(3, false, false, seed);
        cfg.one(command(101), 3, false);
        int leader = cfg.checkOneLeader();
        cfg.disconnect((leader + 1) % 3);
        // The leader and the remaining follower agree without the disconnected one.
        cfg.one(command(102), 2, false);
        cfg.one(command(103), 2, false);
        cfg.sleep(ELECTION_TIMEOUT);
        cfg.one(command(104), 2, false);
        cfg.one(command(105), 2, false);
        cfg.connect((leader + 1) % 3);
        // The full set keeps earlier agreements and agrees on new commands.
        cfg.one(command(106), 3, true);
        cfg.sleep(ELECTION_TIMEOUT);
        cfg.one(command(107), 3, true);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void failNoAgree(long seed) {
        ScenarioCluster cfg = new ScenarioCluster(5, false, false, seed);
        cfg.one(command(10), 5, false);
        int leader = cfg.checkOneLeader();
        cfg.disconnect((leader + 1) % 5);
        cfg.disconnect((leader + 2) % 5);
        cfg.disconnect((leader + 3) % 5);
        ProposeResult r = cfg.start(leader, command(20));
        ProposeResult.Accepted a = assertInstanceOf(ProposeResult.Accepted.class, r, "leader rejected Start()");
        long index = a.index();
        cfg.sleep(2 * ELECTION_TIMEOUT);
        assertEquals(0, cfg.nCommitted(index).count(), "committed without a majority");
        cfg.connect((leader + 1) % 5);
        cfg.connect((leader + 2) % 5);
        cfg.connect((leader + 3) % 5);
        // The disconnected majority may have elected a leader of its own, forgetting index 2.
        int leader2 = cfg.checkOneLeader();
        ProposeResult r2 = cfg.start(leader2, command(30));
        ProposeResult.Accepted a2 = assertInstanceOf(ProposeResult.Accepted.class, r2, "leader2 rejected Start()");
        assertTrue(a2.index() >= index && a2.index() <= index + 2, "unexpected index " + a2.index());
        cfg.one(command(1000), 5, true);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void concurrentStarts(long seed) {
        ScenarioCluster cfg = new ScenarioCluster(3, false, false, seed);
        for (int attempt = 0; attempt < 5; attempt++) {
            if (attempt > 0) {
                cfg.sleep(3 * SECONDS);
            }
            int leader = cfg.checkOneLeader();
            if (!(cfg.start(leader, command(1)) instanceof ProposeResult.Accepted first)) {
                continue;
            }
            long term = first.term();
            List<Long> indexes = new ArrayList<>();
            // Five clients in the same instant (no virtual time passes between them).
            for (int i = 0; i < 5; i++) {
                if (cfg.start(leader, command(100 + i)) instanceof ProposeResult.Accepted a && a.term() == term) {
                    indexes.add(a.index());
                }
            }
            boolean termChanged = false;
            Set<ByteString> committed = new HashSet<>();
            for (long index : indexes) {
                ByteString cmd = cfg.waitFor(index, 3, term);
                if (cmd == null) {
                    termChanged = true;
                    break;
                }
                committed.add(cmd);
            }
            if (termChanged) {
                continue;
            }
            for (int i = 0; i < 5; i++) {
                assertTrue(committed.contains(ByteString.copyFrom(command(100 + i))), "cmd " + (100 + i) + " missing");
            }
            return;
        }
        fail("term changed too often");
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void rejoin(long seed) {
        ScenarioCluster cfg = new ScenarioCluster(3, false, false, seed);
        cfg.one(command(101), 3, true);
        int leader1 = cfg.checkOneLeader();
        cfg.disconnect(leader1);
        // The old leader tries to agree on some entries.
        cfg.start(leader1, command(102));
        cfg.start(leader1, command(103));
        cfg.start(leader1, command(104));
        // The new leader commits, also at the old leader's indexes.
        cfg.one(command(103), 2, true);
        int leader2 = cfg.checkOneLeader();
        cfg.disconnect(leader2);
        cfg.connect(leader1);
        cfg.one(command(104), 2, true);
        cfg.connect(leader2);
        cfg.one(command(105), 3, true);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void backup(long seed) {
        // The leader backs up quickly over incorrect follower logs (50-entry divergent tails).
        int servers = 5;
        ScenarioCluster cfg = new ScenarioCluster(servers, false, false, seed);
        cfg.one(command(cfg.randomInt(1 << 30)), servers, true);
        int leader1 = cfg.checkOneLeader();
        cfg.disconnect((leader1 + 2) % servers);
        cfg.disconnect((leader1 + 3) % servers);
        cfg.disconnect((leader1 + 4) % servers);
        for (int i = 0; i < 50; i++) {
            cfg.start(leader1, command(cfg.randomInt(1 << 30)));
        }
        cfg.sleep(ELECTION_TIMEOUT / 2);
        cfg.disconnect((leader1) % servers);
        cfg.disconnect((leader1 + 1) % servers);
        cfg.connect((leader1 + 2) % servers);
        cfg.connect((leader1 + 3) % servers);
        cfg.connect((leader1 + 4) % servers);
        for (int i = 0; i < 50; i++) {
            cfg.one(command(cfg.randomInt(1 << 30)), 3, true);
        }
        int leader2 = cfg.checkOneLeader();
        int other = (leader1 + 2) % servers;
        if (leader2 == other) {
            other = (leader2 + 1) % servers;
        }
        cfg.disconnect(other);
        for (int i = 0; i < 50; i++) {
            cfg.start(leader2, command(cfg.randomInt(1 << 30)));
        }
        cfg.sleep(ELECTION_TIMEOUT / 2);
        for (int i = 0; i < servers; i++) {
            cfg.disconnect(i);
        }
        cfg.connect((leader1) % servers);
        cfg.connect((leader1 + 1) % servers);
        cfg.connect(other);
        for (int i = 0; i < 50; i++) {
            cfg.one(command(cfg.randomInt(1 << 30)), 3, true);
        }
        for (int i = 0; i < servers; i++) {
            cfg.connect(i);
        }
        cfg.one(command(cfg.randomInt(1 << 30)), servers, true);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void rpcCount(long seed) {
        ScenarioCluster cfg = new ScenarioCluster(3, false, false, seed);
        int leader = cfg.checkOneLeader();
        long total1 = cfg.rpcTotal();
        long electionRpcs = total1;
        assertTrue(total1 <= 30 && total1 >= 1, "too many or few RPCs (" + total1 + ") to elect the initial leader");
        long total2 = -1;
        for (int attempt = 0; attempt < 5 && total2 < 0; attempt++) {
            if (attempt > 0) {
                cfg.sleep(3 * SECONDS);
            }
            leader = cfg.checkOneLeader();
            total1 = cfg.rpcTotal();
            int iters = 10;
            if (!(cfg.start(leader, command(1)) instanceof ProposeResult.Accepted start)) {
                continue;
            }
            List<byte[]> cmds = new ArrayList<>();
            boolean changed = false;
            for (int i = 1; i < iters + 2; i++) {
                byte[] x = command(cfg.randomInt(1 << 30));
                cmds.add(x);
                if (!(cfg.start(leader, x) instanceof ProposeResult.Accepted a) || a.term() != start.term()) {
                    changed = true;
                    break;
                }
                assertEquals(start.index() + i, a.index(), "Start() failed");
            }
            if (changed) {
                continue;
            }
            for (int i = 1; i < iters + 1 && !changed; i++) {
                ByteString cmd = cfg.waitFor(start.index() + i, 3, start.term());
                if (cmd == null) {
                    changed = true;
                } else {
                    assertEquals(ByteString.copyFrom(cmds.get(i - 1)), cmd, "wrong value committed");
                }
            }
            if (changed) {
                continue;
            }
            long total = cfg.rpcTotal();
            for (SimNode node : cfg.nodes()) {
                if (node.term() != start.term()) {
                    changed = true;
                }
            }
            if (changed) {
                continue;
            }
            assertTrue(total - total1 <= (iters + 1 + 3) * 3L,
                    "too many RPCs (" + (total - total1) + ") for " + iters + " entries");
            total2 = total;
            System.out.printf("RPC count: %d requests up to the first leader check; %d for %d entries%n",
                    electionRpcs, total - total1, iters + 2);
        }
        assertTrue(total2 >= 0, "term changed too often");
        cfg.sleep(ELECTION_TIMEOUT);
        long total3 = cfg.rpcTotal();
        assertTrue(total3 - total2 <= 3 * 20L, "too many RPCs (" + (total3 - total2) + ") for 1 second of idleness");
    }
}
