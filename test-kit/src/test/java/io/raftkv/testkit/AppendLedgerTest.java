package io.raftkv.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The crash tests' append check finds lost, doubled and invented appends, and lets timed-out ones be absent. */
class AppendLedgerTest {
    private final AppendLedger ledger = new AppendLedger();

    AppendLedgerTest() {
        ledger.acknowledged("a", "c0-1");
        ledger.acknowledged("a", "c1-1");
        ledger.unknown("a", "c0-2");
    }

    @Test
    void acceptsEveryAcknowledgedAppendOnceWithOrWithoutTheTimedOutOne() {
        assertEquals(List.of(), ledger.problems("a", "c0-1;c1-1;"));
        assertEquals(List.of(), ledger.problems("a", "c1-1;c0-2;c0-1;"));
    }

    @Test
    void reportsLostDoubledAndInventedAppends() {
        assertEquals(List.of("a: acknowledged append c1-1 is present 0 times"), ledger.problems("a", "c0-1;"));
        assertEquals(List.of("a: acknowledged append c0-1 is present 2 times"),
                ledger.problems("a", "c0-1;c1-1;c0-1;"));
        assertEquals(List.of("a: timed-out append c0-2 is present 2 times"),
                ledger.problems("a", "c0-1;c0-2;c1-1;c0-2;"));
        assertEquals(List.of("a: c9-9 was never appended"), ledger.problems("a", "c0-1;c1-1;c9-9;"));
        assertEquals(2, ledger.problems("a", null).size());
    }
}
