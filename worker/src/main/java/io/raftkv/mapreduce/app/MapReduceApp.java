package io.raftkv.mapreduce.app;

import java.util.List;
import java.util.Optional;

/**
 * A MapReduce application: the two functions the framework calls, and optionally a combiner.
 *
 * <p>A worker creates one instance per slot and runs one task at a time on each, so an instance needs no locking
 * (but static state is shared by the slots of a worker process). A user
 * app is a public class with a public no-argument constructor, loaded by name from a jar.
 */
public interface MapReduceApp {

    /** Called with the job's context before each task, so an app can find the shared work directory. */
    default void setUp(AppContext context) {}

    /**
     * Maps one input split: a whole file, or for a large file the whole lines of one byte range of it.
     *
     * @param filename the input file as named on the command line (the same for every split of it)
     * @param contents the split's lines, with their line ends, decoded as UTF-8
     * @return the intermediate pairs, in any order
     */
    List<KeyValue> map(String filename, String contents);

    /**
     * Reduces every value emitted for one key (in no guaranteed order) to the value written in the output line
     * {@code key value}.
     */
    String reduce(String key, List<String> values);

    /** A combiner the map side may apply to its own output; none by default. */
    default Optional<Combiner> combiner() {
        return Optional.empty();
    }
}
