package io.raftkv.mapreduce.coordinator;

import java.nio.file.Path;
import java.util.List;

/**
 * What the coordinator runs.
 *
 * @param id       random per coordinator run; reports for another job are ignored
 * @param appId    the app workers must run ({@link io.raftkv.mapreduce.app.AppSpec#id()})
 * @param workDir  absolute; shared with every worker
 * @param inputs   one map task per input, in command-line order
 * @param reduces  R, the number of reduce tasks and partitions
 */
record Job(String id, String appId, Path workDir, List<Input> inputs, int reduces) {

    /**
     * An input file.
     *
     * @param name as given on the command line: what the app's map function receives
     * @param path absolute: where workers read it
     */
    record Input(String name, Path path) {}

    Job {
        inputs = List.copyOf(inputs);
    }
}
