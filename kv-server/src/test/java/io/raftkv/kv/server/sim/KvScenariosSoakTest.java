package io.raftkv.kv.server.sim;

import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every KV scenario with the lab's full workload (3 iterations of 5 s of client work, however many clients) over
 * many seeds (20 by default; {@code -Draftkv.kvsim.soakSeeds=K}). Opt-in:
 * {@code ./mvnw -pl kv-server test -Psoak -Dtest=KvScenariosSoakTest}.
 */
@Tag("soak")
class KvScenariosSoakTest {

    static Stream<Arguments> runs() {
        List<Long> seeds = SimSettings.soakSeeds().toList();
        return Arrays.stream(KvScenario.values())
                .flatMap(scenario -> seeds.stream().map(seed -> Arguments.of(scenario, seed)));
    }

    @ParameterizedTest(name = "{0} seed {1}")
    @MethodSource("runs")
    void soak(KvScenario scenario, long seed) {
        scenario.run(seed, Workload.LAB);
    }
}
