package io.raftkv.mapreduce.coordinator;

import io.raftkv.mapreduce.app.KeyValue;
import io.raftkv.mapreduce.app.MapReduceApp;
import java.util.List;

/** An app whose map always throws, as one with a bug for some input would: its job must abort, not loop. */
public final class FailingMapApp implements MapReduceApp {
    @Override
    public List<KeyValue> map(String filename, String contents) {
        throw new IllegalStateException("cannot parse " + filename);
    }

    @Override
    public String reduce(String key, List<String> values) {
        return Integer.toString(values.size());
    }
}
