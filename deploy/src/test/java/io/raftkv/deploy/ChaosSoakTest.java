package io.raftkv.deploy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The long version of {@link ChaosTest} (profile {@code soak}: {@code ./mvnw verify -Psoak -pl deploy}): rounds of
 * randomly picked faults on one 3-node cluster, each round under its own client load and checked like the short
 * scenarios. {@code -Draftkv.chaos.rounds=N} (default 15) and {@code -Draftkv.chaos.seed=S} pick the run;
 * {@code -Draftkv.chaos.faults=a,b} draws from those scripts only ({@link Faults#NAMES}).
 */
@RequiresDocker
@Tag("soak")
class ChaosSoakTest {
    @Test
    @Timeout(value = 90, unit = TimeUnit.MINUTES)
    void randomFaultRounds() {
        int rounds = Integer.getInteger("raftkv.chaos.rounds", 15);
        long seed = Long.getLong("raftkv.chaos.seed", System.nanoTime());
        System.out.println("chaos soak: " + rounds + " rounds, seed " + seed);
        SplittableRandom random = new SplittableRandom(seed);
        List<String> pool = ChaosRun.pool("raftkv.chaos.faults", Faults.NAMES);
        List<ChaosRun.Leaderless> leaderless = new ArrayList<>();
        try (KvCluster cluster = KvCluster.start("soak3", 3)) {
            for (int round = 0; round < rounds; round++) {
                Faults.Named fault = Faults.named(pool.get(random.nextInt(pool.size())), random);
                leaderless.addAll(ChaosRun.run(cluster, "soak-" + round + "-" + fault.name(), 4,
                        Duration.ofSeconds(30), Duration.ofSeconds(150), fault.script()).faults());
                cluster.heal();
            }
        } finally {
            System.out.println("leaderless time per fault (soak, seed " + seed + "):");
            leaderless.forEach(System.out::println);
        }
    }
}
