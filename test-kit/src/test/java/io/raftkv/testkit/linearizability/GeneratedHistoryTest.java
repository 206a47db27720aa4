package io.raftkv.testkit.linearizability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.testkit.linearizability.CheckResult.Verdict;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Histories generated from a real sequential execution: each operation takes effect at its own instant, inside an
 * interval that overlaps its neighbours', so every generated history is linearizable by construction and must be
 * accepted; a perturbed copy that no execution could produce must be rejected.
 */
class GeneratedHistoryTest {
    private static final int SEEDS = 200;
    private static final int OPERATIONS = 40;
    private static final Duration BUDGET = Duration.ofSeconds(30);
    private static final List<String> KEYS = List.of("k0", "k1");

    private record Generated(List<Operation<KvModel.Input, KvModel.Output>> operations, int unknownWrites) {}

    /**
     * Runs {@link #OPERATIONS} random gets, puts and appends against a map in order; operation i takes effect at
     * 100 i and is recorded over an interval around that instant. Some writes get an unknown outcome, half of them
     * having taken effect. Values are unique, so a perturbation can name a value no operation wrote.
     */
    private static Generated generate(long seed) {
        Random random = new Random(seed);
        Map<String, String> store = new HashMap<>();
        List<Operation<KvModel.Input, KvModel.Output>> operations = new ArrayList<>();
        int unknownWrites = 0;
        for (int i = 0; i < OPERATIONS; i++) {
            long at = 100L * (i + 1);
            long call = at - 1 - random.nextInt(80);
            long ret = at + 1 + random.nextInt(80);
            String key = KEYS.get(random.nextInt(KEYS.size()));
            int dice = random.nextInt(10);
            if (dice < 4) {
                String value = store.get(key);
                KvModel.Output output = value == null ? KvModel.Output.notFound() : KvModel.Output.value(value);
                operations.add(Operation.completed(i, KvModel.Input.get(key), output, call, ret));
                continue;
            }
            KvModel.Input write = dice < 7 ? KvModel.Input.put(key, "p" + i + ";")
                    : KvModel.Input.append(key, "a" + i + ";");
            boolean unknown = random.nextInt(8) == 0;
            boolean takesEffect = !unknown || random.nextBoolean();
            if (takesEffect) {
                String before = store.getOrDefault(key, "");
                store.put(key, write.op() == KvModel.Op.PUT ? write.value() : before + write.value());
            }
            if (unknown) {
                unknownWrites++;
                operations.add(Operation.unknown(i, write, call));
            } else {
                operations.add(Operation.completed(i, write, KvModel.Output.ok(), call, ret));
            }
        }
        return new Generated(operations, unknownWrites);
    }

    private static Verdict check(List<Operation<KvModel.Input, KvModel.Output>> operations) {
        return LinearizabilityChecker.check(KvModel.INSTANCE, operations, BUDGET).verdict();
    }

    @Test
    void historiesOfARealExecutionAreAccepted() {
        int accepted = 0;
        int unknownWrites = 0;
        for (long seed = 1; seed <= SEEDS; seed++) {
            Generated history = generate(seed);
            unknownWrites += history.unknownWrites();
            assertEquals(Verdict.LINEARIZABLE, check(history.operations()), "seed " + seed);
            accepted++;
        }
        assertEquals(SEEDS, accepted);
        assertTrue(unknownWrites > SEEDS / 2, "the histories hold unknown-outcome writes: " + unknownWrites);
    }

    @Test
    void aReadOfAValueNeverWrittenIsRejected() {
        int rejected = 0;
        for (long seed = 1; seed <= SEEDS; seed++) {
            List<Operation<KvModel.Input, KvModel.Output>> operations = new ArrayList<>(generate(seed).operations());
            int read = firstCompletedRead(operations);
            Operation<KvModel.Input, KvModel.Output> original = operations.get(read);
            operations.set(read, Operation.completed(original.clientId(), original.input(),
                    KvModel.Output.value("never-written;"), original.callTime(), original.returnTime()));
            assertEquals(Verdict.NOT_LINEARIZABLE, check(operations), "seed " + seed);
            rejected++;
        }
        assertEquals(SEEDS, rejected);
    }

    /** A read that returned before a put was even invoked cannot have seen that put's (unique) value. */
    @Test
    void aReadSeeingAWriteThatHadNotStartedIsRejected() {
        int rejected = 0;
        for (long seed = 1; seed <= SEEDS; seed++) {
            List<Operation<KvModel.Input, KvModel.Output>> operations = new ArrayList<>(generate(seed).operations());
            Operation<KvModel.Input, KvModel.Output> put = operations.stream()
                    .filter(op -> op.input().op() == KvModel.Op.PUT && op.outcomeKnown()).findFirst().orElseThrow();
            operations.add(Operation.completed(1_000, KvModel.Input.get(put.input().key()),
                    KvModel.Output.value(put.input().value()), put.callTime() - 3, put.callTime() - 1));
            assertEquals(Verdict.NOT_LINEARIZABLE, check(operations), "seed " + seed);
            rejected++;
        }
        assertEquals(SEEDS, rejected);
    }

    private static int firstCompletedRead(List<Operation<KvModel.Input, KvModel.Output>> operations) {
        for (int i = 0; i < operations.size(); i++) {
            if (operations.get(i).input().op() == KvModel.Op.GET) {
                return i;
            }
        }
        throw new AssertionError("no read in the history");
    }
}
