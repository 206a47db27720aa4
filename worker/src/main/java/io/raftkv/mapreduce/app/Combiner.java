package io.raftkv.mapreduce.app;

import java.util.List;

/**
 * Folds the values one map task emitted for a key into one value before they are written, so less data reaches the
 * reducers. It must not change the job's result: reduce(key, [combine(key, a), combine(key, b)]) has to equal
 * reduce(key, a ++ b). The combiner may run zero, one or several times for a key.
 */
@FunctionalInterface
public interface Combiner {
    String combine(String key, List<String> values);
}
