package io.raftkv.testkit.linearizability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.raftkv.testkit.linearizability.KvModel.Input;
import io.raftkv.testkit.linearizability.KvModel.KeyState;
import io.raftkv.testkit.linearizability.KvModel.Output;
import org.junit.jupiter.api.Test;

class KvModelTest {
    private final KvModel model = KvModel.INSTANCE;

    private KeyState run(KeyState state, Input... inputs) {
        for (Input input : inputs) {
            state = model.step(state, input, Output.ok());
        }
        return state;
    }

    @Test
    void statesWithTheSameValueAreEqualHoweverTheyWereBuilt() {
        KeyState appended = run(model.init(), Input.append("k", "ab"), Input.append("k", "c"),
                Input.append("k", "de"));
        KeyState put = run(model.init(), Input.put("k", "abcde"));
        KeyState otherPieces = run(model.init(), Input.append("k", "a"), Input.append("k", "bcd"),
                Input.append("k", "e"));
        assertEquals(put, appended);
        assertEquals(appended, otherPieces);
        assertEquals(put.hashCode(), appended.hashCode());
        assertEquals(appended.hashCode(), otherPieces.hashCode());
        assertEquals("abcde", appended.value());
        assertNotEquals(appended, run(model.init(), Input.append("k", "abced")));
        assertNotEquals(KeyState.ABSENT, KeyState.of(""));
    }

    @Test
    void getMustSeeTheCurrentValueOrAbsence() {
        KeyState state = run(model.init(), Input.append("k", "x"), Input.append("k", "y"));
        assertEquals(state, model.step(state, Input.get("k"), Output.value("xy")));
        assertNull(model.step(state, Input.get("k"), Output.value("x")));
        assertNull(model.step(state, Input.get("k"), Output.value("yx")));
        assertNull(model.step(state, Input.get("k"), Output.notFound()));
        assertEquals(KeyState.ABSENT, model.step(KeyState.ABSENT, Input.get("k"), Output.notFound()));
        assertNull(model.step(KeyState.ABSENT, Input.get("k"), Output.value("")));
        assertEquals(state, model.step(state, Input.get("k"), null), "an unknown read accepts any state");
    }

    @Test
    void deleteEmptiesTheKey() {
        KeyState state = run(model.init(), Input.put("k", "v"));
        assertEquals(KeyState.ABSENT, model.step(state, Input.delete("k"), Output.deleted(true)));
        assertNull(model.step(state, Input.delete("k"), Output.deleted(false)));
        assertEquals(KeyState.ABSENT, model.step(state, Input.delete("k"), null));
        assertFalse(model.isReadOnly(Input.delete("k")));
    }

    @Test
    void describesOperationsReadably() {
        assertEquals("append(\"k\", \"v\")", model.describe(Input.append("k", "v"), Output.ok()));
        assertEquals("get(\"k\") -> not found", model.describe(Input.get("k"), Output.notFound()));
        assertEquals("get(\"k\") -> \"v\"", model.describe(Input.get("k"), Output.value("v")));
        assertEquals("put(\"k\", \"v\") -> unknown outcome", model.describe(Input.put("k", "v"), null));
        assertEquals("absent", model.describeState(KeyState.ABSENT));
    }
}
