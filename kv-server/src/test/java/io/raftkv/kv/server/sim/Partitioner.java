package io.raftkv.kv.server.sim;

import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * The lab's partitioner: until stopped, splits the servers into two random groups, then again an election timeout
 * plus up to 200 ms later. (Clients keep reaching every server; only servers are cut off from each other.)
 */
final class Partitioner {
    private final KvSimCluster cluster;
    private final RandomGenerator random;
    private boolean running;
    private int generation;

    Partitioner(KvSimCluster cluster, RandomGenerator random) {
        this.cluster = cluster;
        this.random = random;
    }

    void start() {
        running = true;
        int mine = ++generation;
        repartition(mine);
    }

    void stop() {
        running = false;
        generation++;
    }

    private void repartition(int mine) {
        if (!running || mine != generation) {
            return;
        }
        List<String> a = new ArrayList<>();
        List<String> b = new ArrayList<>();
        for (String id : cluster.all()) {
            (random.nextInt(2) == 0 ? a : b).add(id);
        }
        cluster.partition(List.of(a, b));
        long pause = KvSimCluster.ELECTION_TIMEOUT + random.nextLong(200 * 1_000);
        cluster.sim().scheduler().after(pause, () -> repartition(mine));
    }
}
