package io.raftkv.mapreduce.coordinator;

import java.nio.file.Path;
import java.util.List;

/**
 * What the coordinator runs.
 *
 * @param id       random per coordinator run; reports for another job are ignored
 * @param appId    the app workers must run ({@link io.raftkv.mapreduce.app.AppSpec#id()})
 * @param workDir  absolute; where the output goes (and, when shared, the intermediate files)
 * @param sharedWorkDir whether every worker sees workDir at the same path (else nothing is shared)
 * @param splits   one map task per split, in command-line order of their files, then by offset
 * @param reduces  R, the number of reduce tasks and partitions
 */
record Job(String id, String appId, Path workDir, boolean sharedWorkDir, List<Split> splits, int reduces) {

    /**
     * A byte range of an input file; the map task reads the whole lines that start inside it.
     *
     * @param name   the file as given on the command line: what the app's map function receives
     * @param path   absolute: where workers read it
     * @param offset the first byte of the range
     * @param length the range's size (0 only for an empty file)
     * @param fileSize the whole file's size: a worker with a file of another size at this path does not read it
     */
    record Split(String name, Path path, long offset, long length, long fileSize) {}

    Job {
        splits = List.copyOf(splits);
    }
}
