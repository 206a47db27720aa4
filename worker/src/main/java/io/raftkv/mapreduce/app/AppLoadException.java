package io.raftkv.mapreduce.app;

/** An app could not be found or created; the message is one line that names the app and the problem. */
public final class AppLoadException extends Exception {
    public AppLoadException(String message) {
        super(message);
    }

    public AppLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
