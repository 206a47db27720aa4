package io.raftkv.kv.server.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.testkit.linearizability.KvModel;
import io.raftkv.testkit.linearizability.Operation;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The scenarios' value checks, on hand-made values: each catches what it is for. */
class AppendChecksTest {
    private static final Outcome.Status OK = Outcome.Status.OK;
    private static final Outcome.Status UNKNOWN = Outcome.Status.UNKNOWN;

    private static ClientAppends appends(Outcome.Status... outcomes) {
        ClientAppends appends = new ClientAppends();
        for (Outcome.Status status : outcomes) {
            appends.record(Outcome.of(status));
        }
        return appends;
    }

    @Test
    void acceptsEveryAcknowledgedAppendOnceInOrder() {
        Map<Integer, ClientAppends> known = Map.of(1, appends(OK, OK), 2, appends(OK));
        assertNull(AppendTokens.check("x 1 0 yx 2 0 yx 1 1 y", known));
    }

    @Test
    void reportsAMissingAcknowledgedAppend() {
        String problem = AppendTokens.check("x 1 0 y", Map.of(1, appends(OK, OK)));
        assertTrue(problem.startsWith("missing acknowledged element \"x 1 1 y\""), problem);
    }

    @Test
    void reportsADuplicate() {
        String problem = AppendTokens.check("x 1 0 yx 1 0 yx 1 1 y", Map.of(1, appends(OK, OK)));
        assertTrue(problem.startsWith("duplicate element \"x 1 0 y\""), problem);
    }

    @Test
    void reportsAWrongOrder() {
        String problem = AppendTokens.check("x 1 1 yx 1 0 y", Map.of(1, appends(OK, OK)));
        assertTrue(problem.startsWith("wrong order for element \"x 1 0 y\""), problem);
    }

    @Test
    void reportsAnElementNobodyAppended() {
        String problem = AppendTokens.check("x 1 0 yx 1 7 y", Map.of(1, appends(OK)));
        assertTrue(problem.startsWith("element \"x 1 7 y\" was never appended"), problem);
    }

    @Test
    void anAppendOfUnknownOutcomeMayBeThereOnceOrNot() {
        Map<Integer, ClientAppends> known = Map.of(1, appends(OK, UNKNOWN, OK));
        assertNull(AppendTokens.check("x 1 0 yx 1 2 y", known));
        assertNull(AppendTokens.check("x 1 0 yx 1 1 yx 1 2 y", known));
        assertTrue(AppendTokens.check("x 1 0 yx 1 1 yx 1 1 yx 1 2 y", known).startsWith("duplicate"));
    }

    @Test
    void rejectsAValueThatIsNotMadeOfTokens() {
        assertTrue(AppendTokens.check("x 1 0 y garbage", Map.of(1, appends(OK))).contains("not made of"));
        assertEquals("x 3 4 y", AppendTokens.duplicateIn("x 3 4 yx 1 0 yx 3 4 y"));
        assertNull(AppendTokens.duplicateIn("x 3 4 yx 1 0 y"));
    }

    @Test
    void theOrderOfAppendsMustRespectRealTime() {
        // "x 1 0 y" returned at 10, before "x 2 0 y" was invoked at 20: it must come first.
        List<Operation<KvModel.Input, KvModel.Output>> history = List.of(
                Operation.completed(1, KvModel.Input.append("k", "x 1 0 y"), KvModel.Output.ok(), 0, 10),
                Operation.completed(2, KvModel.Input.append("k", "x 2 0 y"), KvModel.Output.ok(), 20, 30),
                Operation.completed(3, KvModel.Input.append("k", "x 3 0 y"), KvModel.Output.ok(), 5, 25));
        assertNull(AppendOrder.check(history, "k", "x 1 0 yx 3 0 yx 2 0 y"));
        assertNull(AppendOrder.check(history, "k", "x 3 0 yx 1 0 yx 2 0 y"));
        String problem = AppendOrder.check(history, "k", "x 2 0 yx 1 0 yx 3 0 y");
        assertTrue(problem.startsWith("not linearizable: \"x 1 0 y\" returned"), problem);
    }

    @Test
    void aClientsOwnKeyHoldsWhatItsWritesBuilt() {
        OwnKeyExpectation key = new OwnKeyExpectation();
        assertNull(key.onGet("anything")); // before the first Put, nothing is known
        key.onPut("", Outcome.ok(null));
        key.onAppend("a", Outcome.ok(null));
        assertNull(key.onGet("a"));
        assertTrue(key.onGet("aa").contains("allow only \"a\""));
    }

    @Test
    void anUnknownWriteMayAppearUntilTheNextAcknowledgedOne() {
        OwnKeyExpectation key = new OwnKeyExpectation();
        key.onPut("", Outcome.ok(null));
        key.onAppend("a", Outcome.of(UNKNOWN));
        assertNull(key.onGet(""));
        assertNull(key.onGet("a")); // it may still be applied after a read that missed it
        key.onAppend("b", Outcome.ok(null));
        assertNull(key.onGet("ab"));
        assertTrue(key.onGet("b").contains("allow only \"ab\""), "sealed by the acknowledged append and the read");
    }
}
