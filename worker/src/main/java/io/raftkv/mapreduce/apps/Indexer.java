package io.raftkv.mapreduce.apps;

import io.raftkv.mapreduce.app.KeyValue;
import io.raftkv.mapreduce.app.MapReduceApp;
import io.raftkv.mapreduce.app.Words;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Inverted index ({@code indexer}): for each word, the number of documents that contain it and their sorted names,
 * as {@code word N doc1,doc2,...}.
 */
public final class Indexer implements MapReduceApp {

    @Override
    public List<KeyValue> map(String document, String contents) {
        Set<String> distinct = new LinkedHashSet<>(Words.split(contents));
        List<KeyValue> pairs = new ArrayList<>(distinct.size());
        for (String word : distinct) {
            pairs.add(new KeyValue(word, document));
        }
        return pairs;
    }

    /** Duplicates are dropped: a document cut into several splits reports a word once per split. */
    @Override
    public String reduce(String key, List<String> documents) {
        List<String> sorted = new ArrayList<>(new TreeSet<>(documents));
        return sorted.size() + " " + String.join(",", sorted);
    }
}
