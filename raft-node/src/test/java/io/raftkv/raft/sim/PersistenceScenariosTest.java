package io.raftkv.raft.sim;

import static io.raftkv.raft.sim.ScenarioCluster.ELECTION_TIMEOUT;
import static io.raftkv.raft.sim.ScenarioCluster.command;
import static io.raftkv.raft.sim.Scheduler.MILLIS;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.raftkv.raft.core.ProposeResult;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Persistence, Figure 8 and churn (the 6.824 2C scenarios), in virtual time, each over several seeds. */
class PersistenceScenariosTest {

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void persist1(long seed) {
        int servers = 3;
        ScenarioCluster cfg = new ScenarioCluster(servers, false, false, seed);
        cfg.one(command(11), servers, true);
        // crash and restart all
        for (int i = 0; i < servers; i++) {
            cfg.start1(i);
        }
        for (int i = 0; i < servers; i++) {
            cfg.disconnect(i);
            cfg.connect(i);
        }
        cfg.one(command(12), servers, true);
        int leader1 = cfg.checkOneLeader();
        cfg.disconnect(leader1);
        cfg.start1(leader1);
        cfg.connect(leader1);
        cfg.one(command(13), servers, true);
        int leader2 = cfg.checkOneLeader();
        cfg.disconnect(leader2);
        long index14 = cfg.one(command(14), servers - 1, true);
        cfg.start1(leader2);
        cfg.connect(leader2);
        cfg.waitFor(index14, servers, -1); // wait for leader2 to join before killing i3
        int i3 = (cfg.checkOneLeader() + 1) % servers;
        cfg.disconnect(i3);
        cfg.one(command(15), servers - 1, true);
        cfg.start1(i3);
        cfg.connect(i3);
        cfg.one(command(16), servers, true);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void persist2(long seed) {
        int servers = 5;
        ScenarioCluster cfg = new ScenarioCluster(servers, false, false, seed);
        int index = 1;
        for (int iters = 0; iters < 5; iters++) {
            cfg.one(command(10 + index++), servers, true);
            int leader1 = cfg.checkOneLeader();
            cfg.disconnect((leader1 + 1) % servers);
            cfg.disconnect((leader1 + 2) % servers);
            cfg.one(command(10 + index++), servers - 2, true);
            cfg.disconnect((leader1) % servers);
            cfg.disconnect((leader1 + 3) % servers);
            cfg.disconnect((leader1 + 4) % servers);
            cfg.start1((leader1 + 1) % servers);
            cfg.start1((leader1 + 2) % servers);
            cfg.connect((leader1 + 1) % servers);
            cfg.connect((leader1 + 2) % servers);
            cfg.sleep(ELECTION_TIMEOUT);
            cfg.start1((leader1 + 3) % servers);
            cfg.connect((leader1 + 3) % servers);
            cfg.one(command(10 + index++), servers - 2, true);
            cfg.connect((leader1 + 4) % servers);
            cfg.connect((leader1) % servers);
        }
        cfg.one(command(1000), servers, true);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void persist3(long seed) {
        // Partitioned leader and one follower crash, the leader restarts.
        ScenarioCluster cfg = new ScenarioCluster(3, false, false, seed);
        cfg.one(command(101), 3, true);
        int leader = cfg.checkOneLeader();
        cfg.disconnect((leader + 2) % 3);
        cfg.one(command(102), 2, true);
        cfg.crash1((leader) % 3);
        cfg.crash1((leader + 1) % 3);
        cfg.connect((leader + 2) % 3);
        cfg.start1((leader) % 3);
        cfg.connect((leader) % 3);
        cfg.one(command(103), 2, true);
        cfg.start1((leader + 1) % 3);
        cfg.connect((leader + 1) % 3);
        cfg.one(command(104), 3, true);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void figure8(long seed) {
        int servers = 5;
        ScenarioCluster cfg = new ScenarioCluster(servers, false, false, seed);
        cfg.one(command(cfg.randomInt(1 << 30)), 1, true);
        int up = servers;
        for (int iters = 0; iters < 1000; iters++) {
            int leader = -1;
            for (int i = 0; i < servers; i++) {
                if (cfg.alive(i) && cfg.start(i, command(cfg.randomInt(1 << 30))) instanceof ProposeResult.Accepted) {
                    leader = i;
                }
            }
            if (cfg.randomInt(1000) < 100) {
                cfg.sleep(cfg.randomInt((int) (ELECTION_TIMEOUT / MILLIS / 2)) * MILLIS);
            } else {
                cfg.sleep(cfg.randomInt(13) * MILLIS);
            }
            if (leader != -1) {
                cfg.crash1(leader);
                up--;
            }
            if (up < 3) {
                int s = cfg.randomInt(servers);
                if (!cfg.alive(s)) {
                    cfg.start1(s);
                    cfg.connect(s);
                    up++;
                }
            }
        }
        for (int i = 0; i < servers; i++) {
            if (!cfg.alive(i)) {
                cfg.start1(i);
                cfg.connect(i);
            }
        }
        cfg.one(command(cfg.randomInt(1 << 30)), servers, true);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 4, 5})
    void unreliableAgree(long seed) {
        int servers = 5;
        ScenarioCluster cfg = new ScenarioCluster(servers, true, false, seed);
        // Each round: four concurrent clients in the background, one in the foreground; each needs agreement
        // on its command within 10 s, like one().
        List<String> failures = new ArrayList<>();
        int[] outstanding = {0};
        for (int iters = 1; iters < 50; iters++) {
            for (int j = 0; j < 4; j++) {
                submitInBackground(cfg, command(100L * iters + j), outstanding, failures);
            }
            cfg.one(command(iters), 1, true);
        }
        cfg.setUnreliable(false);
        assertTrue(cfg.sim().runUntil(() -> outstanding[0] == 0, 12 * ScenarioCluster.ELECTION_TIMEOUT));
        assertTrue(failures.isEmpty(), failures.toString());
        cfg.one(command(100), servers, true);
    }

    /**
     * A background client, as one(cmd, 1, retry=true) in its own thread: proposes until a server accepts, waits up
     * to 2 s for the command to be applied at the index it got, retries; gives up (a failure) after 10 s.
     */
    private static void submitInBackground(ScenarioCluster cfg, byte[] cmd, int[] outstanding, List<String> failures) {
        ByteString want = ByteString.copyFrom(cmd);
        long deadline = cfg.sim().now() + 10 * ScenarioCluster.ELECTION_TIMEOUT;
        outstanding[0]++;
        Runnable[] attempt = new Runnable[1];
        attempt[0] = () -> {
            if (cfg.sim().now() > deadline) {
                failures.add("no agreement on " + want + " within 10 s");
                outstanding[0]--;
                return;
            }
            for (int i = 0; i < cfg.servers(); i++) {
                if (cfg.connected(i) && cfg.alive(i) && cfg.start(i, cmd) instanceof ProposeResult.Accepted a) {
                    awaitApplied(cfg, a.index(), want, cfg.sim().now() + 2 * ScenarioCluster.ELECTION_TIMEOUT,
                            () -> outstanding[0]--, attempt[0]);
                    return;
                }
            }
            cfg.sim().scheduler().after(50 * MILLIS, attempt[0]);
        };
        attempt[0].run();
    }

    private static void awaitApplied(ScenarioCluster cfg, long index, ByteString want, long until, Runnable done,
            Runnable retry) {
        ScenarioCluster.Decided d = cfg.nCommitted(index);
        if (d.count() > 0 && want.equals(d.command())) {
            done.run();
        } else if (cfg.sim().now() >= until) {
            retry.run();
        } else {
            cfg.sim().scheduler().after(20 * MILLIS, () -> awaitApplied(cfg, index, want, until, done, retry));
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void figure8Unreliable(long seed) {
        int servers = 5;
        ScenarioCluster cfg = new ScenarioCluster(servers, true, false, seed);
        cfg.one(command(cfg.randomInt(10000)), 1, true);
        int up = servers;
        for (int iters = 0; iters < 1000; iters++) {
            if (iters == 200) {
                cfg.setLongReordering(true);
            }
            int leader = -1;
            for (int i = 0; i < servers; i++) {
                if (cfg.start(i, command(cfg.randomInt(10000))) instanceof ProposeResult.Accepted
                        && cfg.connected(i)) {
                    leader = i;
                }
            }
            if (cfg.randomInt(1000) < 100) {
                cfg.sleep(cfg.randomInt((int) (ELECTION_TIMEOUT / MILLIS / 2)) * MILLIS);
            } else {
                cfg.sleep(cfg.randomInt(13) * MILLIS);
            }
            if (leader != -1 && cfg.randomInt(1000) < (int) (ELECTION_TIMEOUT / MILLIS) / 2) {
                cfg.disconnect(leader);
                up--;
            }
            if (up < 3) {
                int s = cfg.randomInt(servers);
                if (!cfg.connected(s)) {
                    cfg.connect(s);
                    up++;
                }
            }
        }
        for (int i = 0; i < servers; i++) {
            if (!cfg.connected(i)) {
                cfg.connect(i);
            }
        }
        cfg.one(command(cfg.randomInt(10000)), servers, true);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void reliableChurn(long seed) {
        churn(seed, false);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void unreliableChurn(long seed) {
        churn(seed, true);
    }

    private static void churn(long seed, boolean unreliable) {
        int servers = 5;
        ScenarioCluster cfg = new ScenarioCluster(servers, unreliable, false, seed);
        boolean[] stop = {false};
        List<ByteString> acknowledged = new ArrayList<>();
        for (int me = 0; me < 3; me++) {
            startChurnClient(cfg, me, stop, acknowledged);
        }
        for (int iters = 0; iters < 20; iters++) {
            if (cfg.randomInt(1000) < 200) {
                cfg.disconnect(cfg.randomInt(servers));
            }
            if (cfg.randomInt(1000) < 500) {
                int i = cfg.randomInt(servers);
                if (!cfg.alive(i)) {
                    cfg.start1(i);
                }
                cfg.connect(i);
            }
            if (cfg.randomInt(1000) < 200) {
                int i = cfg.randomInt(servers);
                if (cfg.alive(i)) {
                    cfg.crash1(i);
                }
            }
            cfg.sleep(ELECTION_TIMEOUT * 7 / 10);
        }
        cfg.sleep(ELECTION_TIMEOUT);
        cfg.setUnreliable(false);
        for (int i = 0; i < servers; i++) {
            if (!cfg.alive(i)) {
                cfg.start1(i);
            }
            cfg.connect(i);
        }
        stop[0] = true;
        cfg.sleep(ELECTION_TIMEOUT);
        long lastIndex = cfg.one(command(cfg.randomInt(1 << 30)), servers, true);
        Set<ByteString> really = new HashSet<>();
        for (long index = 1; index <= lastIndex; index++) {
            really.add(cfg.waitFor(index, servers, -1));
        }
        for (ByteString v : acknowledged) {
            assertTrue(really.contains(v), "an acknowledged value is missing from the log");
        }
        assertTrue(acknowledged.size() > 10, "clients made too little progress: " + acknowledged.size());
    }

    /** A client that proposes to every server, then polls its index with growing pauses, as the original does. */
    private static void startChurnClient(ScenarioCluster cfg, int me, boolean[] stop, List<ByteString> acknowledged) {
        Runnable[] loop = new Runnable[1];
        loop[0] = () -> {
            if (stop[0]) {
                return;
            }
            byte[] x = command(cfg.randomInt(1 << 30));
            long index = -1;
            for (int i = 0; i < cfg.servers(); i++) {
                if (cfg.alive(i) && cfg.start(i, x) instanceof ProposeResult.Accepted a) {
                    index = a.index();
                }
            }
            if (index < 0) {
                cfg.sim().scheduler().after((79 + me * 17L) * MILLIS, loop[0]);
                return;
            }
            poll(cfg, index, ByteString.copyFrom(x), new long[] {10, 20, 50, 100, 200}, 0, acknowledged, loop[0]);
        };
        loop[0].run();
    }

    private static void poll(ScenarioCluster cfg, long index, ByteString x, long[] pauses, int k,
            List<ByteString> acknowledged, Runnable next) {
        ScenarioCluster.Decided d = cfg.nCommitted(index);
        if (d.count() > 0) {
            if (x.equals(d.command())) {
                acknowledged.add(x);
            }
            next.run();
            return;
        }
        if (k == pauses.length) {
            next.run();
            return;
        }
        cfg.sim().scheduler().after(pauses[k] * MILLIS, () -> poll(cfg, index, x, pauses, k + 1, acknowledged, next));
    }
}
