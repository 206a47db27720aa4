package io.raftkv.mapreduce.apps;

import io.raftkv.mapreduce.app.Combiner;
import io.raftkv.mapreduce.app.KeyValue;
import io.raftkv.mapreduce.app.MapReduceApp;
import io.raftkv.mapreduce.app.Words;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Word count ({@code wc}): a word is a maximal run of letters; the output is each word and how often it occurs.
 * Map emits {@code (word, "1")}; reduce sums the counts, so the summing combiner may pre-aggregate on the map side.
 */
public final class WordCount implements MapReduceApp {
    private static final String ONE = "1";

    @Override
    public List<KeyValue> map(String filename, String contents) {
        List<String> words = Words.split(contents);
        List<KeyValue> pairs = new ArrayList<>(words.size());
        for (String word : words) {
            pairs.add(new KeyValue(word, ONE));
        }
        return pairs;
    }

    @Override
    public String reduce(String key, List<String> values) {
        return sum(values);
    }

    @Override
    public Optional<Combiner> combiner() {
        return Optional.of((key, values) -> sum(values));
    }

    private static String sum(List<String> counts) {
        long total = 0;
        for (String count : counts) {
            total += Long.parseLong(count);
        }
        return Long.toString(total);
    }
}
