package io.raftkv.common.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class JsonWriterTest {
    @Test
    void writesNestedObjectsAndArraysWithTheirCommas() {
        String json = new JsonWriter().beginObject()
                .field("node", "n1").field("term", 7).field("rate", 12.5).field("leader", true)
                .name("members").beginArray()
                .beginObject().field("id", "n2").endObject()
                .beginObject().field("id", "n3").field("lag", 0).endObject()
                .endArray()
                .name("empty").beginArray().endArray()
                .name("numbers").beginArray().value(1).value(2.0).value(Double.NaN).value((String) null).endArray()
                .endObject().toString();
        assertEquals("{\"node\":\"n1\",\"term\":7,\"rate\":12.500,\"leader\":true,\"members\":[{\"id\":\"n2\"},"
                + "{\"id\":\"n3\",\"lag\":0}],\"empty\":[],\"numbers\":[1,2.000,null,null]}", json);
    }

    @Test
    void escapesQuotesBackslashesAndControlCharacters() {
        assertEquals("\"a\\\"b\\\\c\\u000a\\u0001\"", JsonWriter.quoted("a\"b\\c\n\u0001"));
    }

    @Test
    void misuseIsRefused() {
        assertThrows(IllegalStateException.class, () -> new JsonWriter().beginObject().toString());
        assertThrows(IllegalStateException.class, () -> new JsonWriter().name("x"));
        assertThrows(IllegalStateException.class, () -> new JsonWriter().beginObject().name("a").name("b"));
        assertThrows(IllegalStateException.class, () -> new JsonWriter().beginArray().endObject().endObject());
    }
}
