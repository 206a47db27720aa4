package io.raftkv.mapreduce.app;

import java.nio.file.Path;

/**
 * What an app may know about where it runs.
 *
 * @param workDir the job's shared directory (the output directory of a sequential run); apps that keep side files
 *                (the test apps count parallel or repeated tasks with marker files) put them here
 */
public record AppContext(Path workDir) {}
