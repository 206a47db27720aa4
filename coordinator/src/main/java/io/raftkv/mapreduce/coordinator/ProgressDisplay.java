package io.raftkv.mapreduce.coordinator;

/** Shows how far the job is: a progress bar on a terminal, log lines otherwise. */
interface ProgressDisplay extends AutoCloseable {

    /** Called periodically with the latest counts. */
    void show(JobSnapshot snapshot);

    @Override
    void close();

    /** A progress bar when stderr is likely a terminal, log lines when output goes to a file or pipe. */
    static ProgressDisplay forConsole() {
        return Terminals.isInteractive() ? new ProgressBars() : new ProgressLog();
    }
}
