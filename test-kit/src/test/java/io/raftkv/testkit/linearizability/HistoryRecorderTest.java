package io.raftkv.testkit.linearizability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.testkit.linearizability.KvModel.Input;
import io.raftkv.testkit.linearizability.KvModel.Output;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class HistoryRecorderTest {

    @Test
    void recordsOutcomesWithCallBeforeReturn() {
        HistoryRecorder<Input, Output> recorder = new HistoryRecorder<>();
        long put = recorder.invoke(1, Input.put("k", "v"));
        long get = recorder.invoke(2, Input.get("k"));
        long lost = recorder.invoke(3, Input.append("k", "x"));
        long rejected = recorder.invoke(4, Input.delete("k"));
        long inFlight = recorder.invoke(5, Input.append("k", "y"));
        recorder.ok(put, Output.ok());
        recorder.ok(get, Output.value("v"));
        recorder.unknown(lost);
        recorder.failed(rejected);

        List<Operation<Input, Output>> history = recorder.history();
        assertEquals(4, history.size());
        assertEquals(5, recorder.size());
        for (Operation<Input, Output> op : history) {
            assertTrue(op.callTime() <= op.returnTime());
        }
        Operation<Input, Output> unknown = history.stream().filter(op -> op.clientId() == 3).findFirst().orElseThrow();
        assertFalse(unknown.outcomeKnown());
        assertNull(unknown.output());
        Operation<Input, Output> pending = history.stream().filter(op -> op.clientId() == 5).findFirst().orElseThrow();
        assertFalse(pending.outcomeKnown(), "an operation still in flight counts as unknown");
        assertTrue(history.stream().noneMatch(op -> op.clientId() == 4), "a failed operation is left out");
    }

    @Test
    void anOutcomeIsReportedOnce() {
        HistoryRecorder<Input, Output> recorder = new HistoryRecorder<>();
        long call = recorder.invoke(1, Input.get("k"));
        recorder.ok(call, Output.notFound());
        assertThrows(IllegalStateException.class, () -> recorder.ok(call, Output.notFound()));
        assertThrows(IllegalStateException.class, () -> recorder.unknown(call));
        assertThrows(IllegalStateException.class, () -> recorder.failed(12345));
    }

    @Test
    void manyThreadsRecordAtOnce() throws InterruptedException {
        HistoryRecorder<Input, Output> recorder = new HistoryRecorder<>();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            long client = t;
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 1_000; i++) {
                    long call = recorder.invoke(client, Input.put("k" + client, "v" + i));
                    recorder.ok(call, Output.ok());
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        List<Operation<Input, Output>> history = recorder.history();
        assertEquals(8_000, history.size());
        for (long client = 0; client < 8; client++) {
            long c = client;
            assertEquals(1_000, history.stream().filter(op -> op.clientId() == c).count());
        }
        assertTrue(LinearizabilityChecker.check(KvModel.INSTANCE, history).isLinearizable());
    }
}
