package io.raftkv.deploy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A 5-node cluster survives losing two nodes at once, the leader among them: the other three elect a leader and keep
 * serving linearizably; both come back and catch up, and then two followers go down and come back.
 */
@RequiresDocker
class FiveNodeChaosTest {
    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void sigkillTheLeaderAndAnotherNodeThenTwoFollowers() {
        long start = System.nanoTime();
        try (KvCluster cluster = KvCluster.start("chaos5", 5)) {
            System.out.printf("5-node cluster up in %.1f s%n", (System.nanoTime() - start) / 1e9);
            List<ChaosRun.Leaderless> leaderless = ChaosRun.run(cluster, "five-nodes", 4, Duration.ofSeconds(25),
                    Duration.ofSeconds(120), Faults.killTwoIncludingTheLeader()).faults();
            System.out.println("leaderless time per fault (5 nodes):");
            leaderless.forEach(System.out::println);
        }
    }
}
