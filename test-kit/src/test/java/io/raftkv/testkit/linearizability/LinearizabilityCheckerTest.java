package io.raftkv.testkit.linearizability;

import static io.raftkv.testkit.linearizability.KvModel.Input.append;
import static io.raftkv.testkit.linearizability.KvModel.Input.delete;
import static io.raftkv.testkit.linearizability.KvModel.Input.get;
import static io.raftkv.testkit.linearizability.KvModel.Input.put;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.testkit.linearizability.CheckResult.Verdict;
import io.raftkv.testkit.linearizability.KvModel.Input;
import io.raftkv.testkit.linearizability.KvModel.Output;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LinearizabilityCheckerTest {

    private static Operation<Input, Output> op(long client, Input input, Output output, long call, long ret) {
        return Operation.completed(client, input, output, call, ret);
    }

    private static Operation<Input, Output> unknown(long client, Input input, long call) {
        return Operation.unknown(client, input, call);
    }

    private static CheckResult check(List<Operation<Input, Output>> history) {
        return LinearizabilityChecker.check(KvModel.INSTANCE, history, Duration.ofSeconds(30));
    }

    private static void assertVerdict(Verdict expected, CheckResult result) {
        assertEquals(expected, result.verdict(), result::toString);
    }

    // The register examples Porcupine takes from the 6.824 2017 quiz 2 (section VII), on one key of the KV model.
    @Test
    void quizExampleWithOverlappingReadsIsLinearizable() {
        assertVerdict(Verdict.LINEARIZABLE, check(List.of(
                op(0, put("x", "100"), Output.ok(), 0, 100),
                op(1, get("x"), Output.value("100"), 25, 75),
                op(2, get("x"), Output.notFound(), 30, 60))));
    }

    @Test
    void quizExampleWithReadGoingBackIsNotLinearizable() {
        assertVerdict(Verdict.NOT_LINEARIZABLE, check(List.of(
                op(0, put("x", "200"), Output.ok(), 0, 100),
                op(1, get("x"), Output.value("200"), 10, 30),
                op(2, get("x"), Output.notFound(), 40, 90))));
    }

    @Test
    void zeroDurationOperations() {
        assertVerdict(Verdict.LINEARIZABLE, check(List.of(
                op(0, put("x", "100"), Output.ok(), 0, 100),
                op(1, get("x"), Output.value("100"), 25, 75),
                op(2, get("x"), Output.notFound(), 30, 30),
                op(3, get("x"), Output.notFound(), 30, 30))));
        assertVerdict(Verdict.NOT_LINEARIZABLE, check(List.of(
                op(0, put("x", "200"), Output.ok(), 0, 100),
                op(1, get("x"), Output.value("200"), 10, 10),
                op(2, get("x"), Output.value("200"), 10, 10),
                op(3, get("x"), Output.notFound(), 40, 90))));
    }

    @Test
    void sequentialHistoryFollowsTheModelExactly() {
        assertVerdict(Verdict.LINEARIZABLE, check(List.of(
                op(0, get("k"), Output.notFound(), 0, 1),
                op(0, append("k", "a"), Output.ok(), 2, 3),
                op(0, append("k", "b"), Output.ok(), 4, 5),
                op(0, get("k"), Output.value("ab"), 6, 7),
                op(0, delete("k"), Output.deleted(true), 8, 9),
                op(0, delete("k"), Output.deleted(false), 10, 11),
                op(0, put("k", "c"), Output.ok(), 12, 13),
                op(0, get("k"), Output.value("c"), 14, 15))));
        assertVerdict(Verdict.NOT_LINEARIZABLE, check(List.of(
                op(0, append("k", "a"), Output.ok(), 0, 1),
                op(0, append("k", "b"), Output.ok(), 2, 3),
                op(0, get("k"), Output.value("ba"), 4, 5))));
    }

    @Test
    void deleteMustReportWhetherTheKeyExisted() {
        assertVerdict(Verdict.NOT_LINEARIZABLE, check(List.of(
                op(0, put("k", "v"), Output.ok(), 0, 1),
                op(0, delete("k"), Output.deleted(false), 2, 3))));
        assertVerdict(Verdict.NOT_LINEARIZABLE, check(List.of(
                op(0, delete("k"), Output.deleted(true), 0, 1))));
    }

    @Test
    void concurrentAppendsMayLandInEitherOrderButOnlyOneOrder() {
        List<Operation<Input, Output>> base = List.of(
                op(1, append("k", "x"), Output.ok(), 0, 10),
                op(2, append("k", "y"), Output.ok(), 0, 10));
        List<Operation<Input, Output>> eitherOrder = new ArrayList<>(base);
        eitherOrder.add(op(3, get("k"), Output.value("yx"), 20, 30));
        assertVerdict(Verdict.LINEARIZABLE, check(eitherOrder));

        List<Operation<Input, Output>> bothOrders = new ArrayList<>(base);
        bothOrders.add(op(3, get("k"), Output.value("xy"), 20, 30));
        bothOrders.add(op(4, get("k"), Output.value("yx"), 40, 50));
        assertVerdict(Verdict.NOT_LINEARIZABLE, check(bothOrders));
    }

    @Test
    void independentKeysAreCheckedSeparatelyAndTheViolationNamesItsKey() {
        CheckResult result = check(List.of(
                op(1, put("a", "1"), Output.ok(), 0, 10),
                op(2, get("a"), Output.value("1"), 5, 15),
                op(1, put("b", "1"), Output.ok(), 20, 30),
                op(2, put("b", "2"), Output.ok(), 40, 50),
                op(3, get("b"), Output.value("1"), 60, 70),
                op(3, get("c"), Output.notFound(), 60, 70)));
        assertVerdict(Verdict.NOT_LINEARIZABLE, result);
        assertEquals(3, result.partitions());
        String explanation = result.explanation();
        assertTrue(explanation.contains("for key \"b\""), explanation);
        assertTrue(explanation.contains("client 3: get(\"b\") -> \"1\""), explanation);
        assertTrue(explanation.contains("impossible in this state"), explanation);
        assertTrue(explanation.contains("state after it: \"2\""), explanation);
        assertTrue(!explanation.contains("key \"a\""), explanation);
    }

    @Test
    void unknownWriteMayHaveTakenEffect() {
        assertVerdict(Verdict.LINEARIZABLE, check(List.of(
                unknown(1, put("k", "v"), 0),
                op(2, get("k"), Output.value("v"), 100, 110))));
    }

    @Test
    void unknownWriteMayNotHaveTakenEffect() {
        assertVerdict(Verdict.LINEARIZABLE, check(List.of(
                unknown(1, put("k", "v"), 0),
                op(2, get("k"), Output.notFound(), 100, 110),
                op(2, get("k"), Output.notFound(), 200, 210))));
    }

    @Test
    void unknownWriteTakesEffectAtMostOnceAndForGood() {
        // Seen, then gone again: an append cannot be undone.
        assertVerdict(Verdict.NOT_LINEARIZABLE, check(List.of(
                unknown(1, append("k", "x"), 0),
                op(2, get("k"), Output.value("x"), 10, 20),
                op(2, get("k"), Output.notFound(), 30, 40))));
        // Applied twice: the unknown append is one operation.
        assertVerdict(Verdict.NOT_LINEARIZABLE, check(List.of(
                unknown(1, append("k", "x"), 0),
                op(2, get("k"), Output.value("xx"), 10, 20))));
    }

    @Test
    void unknownWriteCannotTakeEffectBeforeItsCall() {
        assertVerdict(Verdict.NOT_LINEARIZABLE, check(List.of(
                op(2, get("k"), Output.value("v"), 0, 10),
                unknown(1, put("k", "v"), 20))));
    }

    @Test
    void acknowledgedWriteMustBeVisibleAfterItReturns() {
        assertVerdict(Verdict.NOT_LINEARIZABLE, check(List.of(
                op(1, put("k", "v"), Output.ok(), 0, 10),
                op(2, get("k"), Output.notFound(), 20, 30))));
    }

    @Test
    void unknownReadsAreDropped() {
        CheckResult result = check(List.of(
                op(1, put("k", "v"), Output.ok(), 0, 10),
                unknown(2, get("k"), 20)));
        assertVerdict(Verdict.LINEARIZABLE, result);
        assertEquals(1, result.operations());
    }

    @Test
    void emptyHistoryIsLinearizable() {
        assertVerdict(Verdict.LINEARIZABLE, check(List.of()));
    }

    @Test
    void runsOutOfBudgetWithUnknownRatherThanSearchingForever() {
        // 40 concurrent puts of distinct values and a read of a value nobody wrote: proving that illegal means
        // trying every subset of the puts, which the memoization cannot shrink.
        List<Operation<Input, Output>> history = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            history.add(op(i, put("k", "v" + i), Output.ok(), 0, 1_000));
        }
        history.add(op(99, get("k"), Output.value("never written"), 0, 1_000));
        long start = System.nanoTime();
        CheckResult result = LinearizabilityChecker.check(KvModel.INSTANCE, history, Duration.ofMillis(300));
        assertVerdict(Verdict.UNKNOWN, result);
        assertTrue(result.explanation().contains("did not finish"), result.explanation());
        assertTrue(System.nanoTime() - start < Duration.ofSeconds(20).toNanos(), "the budget was not respected");
    }

    @Test
    void givesUpWithUnknownRatherThanFillingTheHeap() {
        List<Operation<Input, Output>> history = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            history.add(op(i, put("k", "v" + i), Output.ok(), 0, 1_000));
        }
        history.add(op(99, get("k"), Output.value("never written"), 0, 1_000));
        CheckResult result = LinearizabilityChecker.check(KvModel.INSTANCE, history, Duration.ofMinutes(1), 10_000);
        assertVerdict(Verdict.UNKNOWN, result);
        assertTrue(result.explanation().contains("explored 10000 configurations"), result.explanation());
    }

    @Test
    void operationsMustBeWellFormed() {
        assertThrows(IllegalArgumentException.class, () -> op(1, get("k"), Output.notFound(), 10, 5));
        assertThrows(IllegalArgumentException.class, () -> new Input(KvModel.Op.PUT, "k", null));
        assertThrows(IllegalArgumentException.class, () -> new Input(KvModel.Op.GET, "k", "v"));
    }
}
