package io.raftkv.common.cli;

/**
 * A problem found before a process starts its real work (bad input, a port in use, a missing file). Its message is
 * one line that names the problem; {@link Mains#run} prints it as {@code error: <message>} and exits with
 * {@link #exitCode()}.
 */
public class StartupException extends RuntimeException {
    private final int exitCode;

    public StartupException(String message) {
        this(message, ExitCodes.USAGE);
    }

    public StartupException(String message, int exitCode) {
        super(message);
        this.exitCode = exitCode;
    }

    public StartupException(String message, Throwable cause) {
        super(message, cause);
        this.exitCode = ExitCodes.USAGE;
    }

    public int exitCode() {
        return exitCode;
    }
}
