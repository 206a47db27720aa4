package io.raftkv.deploy;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The long version of {@link ShardedChaosTest} (profile {@code soak}: {@code ./mvnw verify -Psoak -pl deploy}):
 * rounds of randomly picked sharded fault scripts on one sharded cluster, each checked like the short scenarios.
 * {@code -Draftkv.chaos.rounds=N} (default 12) and {@code -Draftkv.chaos.seed=S} pick the run;
 * {@code -Draftkv.chaos.shard-faults=a,b} draws from those scripts only ({@link ShardFaults#NAMES}).
 */
@RequiresDocker
@Tag("soak")
class ShardedChaosSoakTest {
    @Test
    @Timeout(value = 120, unit = TimeUnit.MINUTES)
    void randomShardedFaultRounds() {
        int rounds = Integer.getInteger("raftkv.chaos.rounds", 12);
        long seed = Long.getLong("raftkv.chaos.seed", System.nanoTime());
        System.out.println("sharded chaos soak: " + rounds + " rounds, seed " + seed);
        SplittableRandom random = new SplittableRandom(seed);
        List<String> pool = ChaosRun.pool("raftkv.chaos.shard-faults", ShardFaults.NAMES);
        List<String> report = new ArrayList<>();
        try (ShardedCluster cluster = ShardedChaosTest.start("sharded-soak")) {
            for (int round = 0; round < rounds; round++) {
                ShardFaults.Named fault = ShardFaults.named(pool.get(random.nextInt(pool.size())));
                report.addAll(ShardedChaosTest.scenario(cluster, "soak-" + round + "-" + fault.name(),
                        fault.script()));
            }
        } finally {
            System.out.println("sharded chaos soak (seed " + seed + "):");
            report.forEach(System.out::println);
        }
    }
}
