package io.raftkv.mapreduce.app;

import java.util.Objects;

/** One intermediate pair emitted by a map function. */
public record KeyValue(String key, String value) {
    public KeyValue {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(value, "value");
    }
}
