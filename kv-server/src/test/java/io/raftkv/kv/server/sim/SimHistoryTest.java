package io.raftkv.kv.server.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.testkit.linearizability.CheckResult.Verdict;
import io.raftkv.testkit.linearizability.KvModel;
import org.junit.jupiter.api.Test;

class SimHistoryTest {

    /**
     * One clerk appends, then reads in the very instant the append returned and misses it: a stale read of its own
     * write. The history must keep the clerk's order (append returned before the get was called) and be rejected.
     */
    @Test
    void aStaleReadOfTheClientsOwnLastWriteIsRejected() {
        SimHistory history = new SimHistory();
        long append = history.invoke(1, KvModel.Input.append("k", "x"));
        history.ok(append, KvModel.Output.ok());
        long get = history.invoke(1, KvModel.Input.get("k"));
        history.ok(get, KvModel.Output.notFound());

        assertEquals(Verdict.NOT_LINEARIZABLE, history.checkLinearizable().verdict());
    }

    @Test
    void theClientsOwnLastWriteReadBackIsAccepted() {
        SimHistory history = new SimHistory();
        long append = history.invoke(1, KvModel.Input.append("k", "x"));
        history.ok(append, KvModel.Output.ok());
        long get = history.invoke(1, KvModel.Input.get("k"));
        history.ok(get, KvModel.Output.value("x"));

        assertEquals(Verdict.LINEARIZABLE, history.checkLinearizable().verdict());
    }

    @Test
    void eachOperationsReturnComesStrictlyAfterItsCallAndBeforeTheNextCall() {
        SimHistory history = new SimHistory();
        long first = history.invoke(1, KvModel.Input.put("k", "a"));
        history.ok(first, KvModel.Output.ok());
        long second = history.invoke(1, KvModel.Input.get("k"));
        history.ok(second, KvModel.Output.value("a"));

        var ops = history.operations();
        assertTrue(ops.get(0).callTime() < ops.get(0).returnTime());
        assertTrue(ops.get(0).returnTime() < ops.get(1).callTime());
    }
}
