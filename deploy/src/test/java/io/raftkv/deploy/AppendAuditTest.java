package io.raftkv.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The append audit of the chaos tests finds lost, duplicated and invented appends (no Docker needed). */
class AppendAuditTest {
    private static final Set<String> ATTEMPTED = Set.of("c0.1;", "c1.1;", "c1.2;");

    @Test
    void acceptsEveryAcknowledgedAppendOnceAndUnacknowledgedOnesEitherWay() {
        assertEquals(List.of(), AppendAudit.audit("k", "c0.1;c1.1;", ATTEMPTED, Set.of("c0.1;", "c1.1;")));
        assertEquals(List.of(), AppendAudit.audit("k", "c0.1;c1.2;c1.1;", ATTEMPTED, Set.of("c0.1;")));
        assertEquals(List.of(), AppendAudit.audit("k", "", ATTEMPTED, Set.of()));
    }

    @Test
    void reportsALostAcknowledgedAppend() {
        assertEquals(List.of("k: acknowledged append c1.1; is missing"),
                AppendAudit.audit("k", "c0.1;", ATTEMPTED, Set.of("c0.1;", "c1.1;")));
    }

    @Test
    void reportsAnAppendAppliedTwice() {
        assertEquals(List.of("k: append c0.1; applied twice"),
                AppendAudit.audit("k", "c0.1;c1.1;c0.1;", ATTEMPTED, Set.of("c0.1;")));
    }

    @Test
    void reportsATokenNoClientAppended() {
        assertEquals(List.of("k: c9.9; was never appended"),
                AppendAudit.audit("k", "c0.1;c9.9;", ATTEMPTED, Set.of("c0.1;")));
    }
}
