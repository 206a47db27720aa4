package io.raftkv.common.cli;

/** Exit codes shared by every raftkv command. */
public final class ExitCodes {
    /** Success. */
    public static final int OK = 0;
    /** A failure while working (for the kv CLI: the key was not found). */
    public static final int FAILURE = 1;
    /** Bad command line or bad input, reported before any work starts. */
    public static final int USAGE = 2;
    /** The cluster (or coordinator) could not be reached or did not answer in time. */
    public static final int UNAVAILABLE = 3;
    /** The server rejected the request as invalid. */
    public static final int INVALID = 4;

    private ExitCodes() {}
}
