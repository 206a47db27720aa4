package io.raftkv.raft.sim;

import static io.raftkv.raft.sim.ScenarioCluster.command;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Snapshots and log compaction (the 6.824 2D scenarios), in virtual time, each over several seeds. Every node takes
 * a snapshot each 10 applied entries (SnapShotInterval); persisted Raft state must stay under 2,000 bytes.
 */
class SnapshotScenariosTest {
    private static final int SNAPSHOT_INTERVAL = 10;
    private static final long MAX_LOG_SIZE = 2000;

    private static void snapCommon(long seed, boolean disconnect, boolean reliable, boolean crash) {
        int servers = 3;
        ScenarioCluster cfg = new ScenarioCluster(servers, !reliable, true, seed);
        cfg.one(command(cfg.randomInt(1 << 30)), servers, true);
        int leader1 = cfg.checkOneLeader();
        long installedBefore = installs(cfg);
        for (int i = 0; i < 30; i++) {
            int victim = (leader1 + 1) % servers;
            int sender = leader1;
            if (i % 3 == 1) {
                sender = (leader1 + 1) % servers;
                victim = leader1;
            }
            if (disconnect) {
                cfg.disconnect(victim);
                cfg.one(command(cfg.randomInt(1 << 30)), servers - 1, true);
            }
            if (crash) {
                cfg.crash1(victim);
                cfg.one(command(cfg.randomInt(1 << 30)), servers - 1, true);
            }
            // Perhaps enough to get a snapshot.
            int nn = SNAPSHOT_INTERVAL / 2 + cfg.randomInt(SNAPSHOT_INTERVAL);
            for (int k = 0; k < nn; k++) {
                cfg.start(sender, command(cfg.randomInt(1 << 30)));
            }
            if (!disconnect && !crash) {
                // All followers caught up, so no InstallSnapshot is needed.
                cfg.one(command(cfg.randomInt(1 << 30)), servers, true);
            } else {
                cfg.one(command(cfg.randomInt(1 << 30)), servers - 1, true);
            }
            assertTrue(cfg.logSize() < MAX_LOG_SIZE, "log size too large: " + cfg.logSize());
            if (disconnect) {
                // A follower that may be behind and need a snapshot to catch up.
                cfg.connect(victim);
                cfg.one(command(cfg.randomInt(1 << 30)), servers, true);
                leader1 = cfg.checkOneLeader();
            }
            if (crash) {
                cfg.start1(victim);
                cfg.connect(victim);
                cfg.one(command(cfg.randomInt(1 << 30)), servers, true);
                leader1 = cfg.checkOneLeader();
            }
        }
        if (disconnect || crash) {
            assertTrue(installs(cfg) > installedBefore, "no follower ever needed a snapshot");
        } else {
            assertEquals(installedBefore, installs(cfg), "no snapshot should have been sent");
        }
    }

    private static long installs(ScenarioCluster cfg) {
        return cfg.sim().network().sent(io.raftkv.proto.raft.MessageType.MSG_SNAPSHOT);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void snapshotBasic(long seed) {
        snapCommon(seed, false, true, false);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void snapshotInstall(long seed) {
        snapCommon(seed, true, true, false);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void snapshotInstallUnreliable(long seed) {
        snapCommon(seed, true, false, false);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void snapshotInstallCrash(long seed) {
        snapCommon(seed, false, true, true);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void snapshotInstallUnreliableCrash(long seed) {
        snapCommon(seed, false, false, true);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void snapshotAllCrash(long seed) {
        int servers = 3;
        ScenarioCluster cfg = new ScenarioCluster(servers, false, true, seed);
        cfg.one(command(cfg.randomInt(1 << 30)), servers, true);
        for (int i = 0; i < 5; i++) {
            int nn = SNAPSHOT_INTERVAL / 2 + cfg.randomInt(SNAPSHOT_INTERVAL);
            for (int k = 0; k < nn; k++) {
                cfg.one(command(cfg.randomInt(1 << 30)), servers, true);
            }
            long index1 = cfg.one(command(cfg.randomInt(1 << 30)), servers, true);
            for (int k = 0; k < servers; k++) {
                cfg.crash1(k);
            }
            for (int k = 0; k < servers; k++) {
                cfg.start1(k);
                cfg.connect(k);
            }
            long index2 = cfg.one(command(cfg.randomInt(1 << 30)), servers, true);
            assertTrue(index2 >= index1 + 1, "index decreased from " + index1 + " to " + index2);
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void snapshotInit(long seed) {
        // Servers restart from their snapshot, and later writes of their state do not lose it.
        int servers = 3;
        ScenarioCluster cfg = new ScenarioCluster(servers, false, true, seed);
        cfg.one(command(cfg.randomInt(1 << 30)), servers, true);
        for (int k = 0; k < SNAPSHOT_INTERVAL + 1; k++) {
            cfg.one(command(cfg.randomInt(1 << 30)), servers, true);
        }
        restartAll(cfg);
        // A single op, to get something written back to persistent storage.
        cfg.one(command(cfg.randomInt(1 << 30)), servers, true);
        for (SimNode n : cfg.nodes()) {
            assertTrue(n.storage().snapshotMetadata().getIndex() >= SNAPSHOT_INTERVAL, n + " lost its snapshot");
        }
        restartAll(cfg);
        cfg.one(command(cfg.randomInt(1 << 30)), servers, true);
    }

    private static void restartAll(ScenarioCluster cfg) {
        for (int k = 0; k < cfg.servers(); k++) {
            cfg.crash1(k);
        }
        for (int k = 0; k < cfg.servers(); k++) {
            cfg.start1(k);
            cfg.connect(k);
        }
    }
}
