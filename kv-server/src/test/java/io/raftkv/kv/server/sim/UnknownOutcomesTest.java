package io.raftkv.kv.server.sim;

import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Writes whose outcome the client never learns are judged as "maybe" by every check. */
class UnknownOutcomesTest {

    static Stream<Long> seeds() {
        return SimSettings.seeds();
    }

    /** See {@link TargetedScenarios#clientsGiveUpDuringAnOutage}. */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void clientsGiveUpDuringAnOutage(long seed) {
        TargetedScenarios.clientsGiveUpDuringAnOutage(seed);
    }
}
