package io.raftkv.common.client;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.UnknownHostException;
import java.util.Locale;

/** Short, user-facing reasons for failed gRPC calls, e.g. "unreachable (connection refused)". */
public final class CallFailures {
    private static final String[] KNOWN_NETWORK_ERRORS = {"Connection refused", "No route to host",
            "Connection reset", "Network is unreachable", "connection timed out"};

    private CallFailures() {}

    public static String describe(StatusRuntimeException e) {
        Status status = e.getStatus();
        return switch (status.getCode()) {
            case DEADLINE_EXCEEDED -> "no answer in time";
            case UNAVAILABLE -> {
                Throwable cause = status.getCause();
                while (cause != null && cause.getCause() != null) {
                    cause = cause.getCause();
                }
                String reason = cause != null && cause.getMessage() != null ? cause.getMessage()
                        : status.getDescription();
                yield "unreachable" + (reason == null ? "" : " (" + networkReason(cause, reason) + ")");
            }
            default -> status.getCode() + (status.getDescription() == null ? ""
                    : ": " + firstLine(status.getDescription()));
        };
    }

    /** Whether the call failed because nothing listens at the node's address (a stopped node, a wrong port). */
    public static boolean isConnectionRefused(StatusRuntimeException e) {
        return e.getStatus().getCode() == Status.Code.UNAVAILABLE && describe(e).endsWith("(connection refused)");
    }

    /** The gist of a connection failure, without the transport's wording ("finishConnect(..) failed ..."). */
    private static String networkReason(Throwable cause, String message) {
        if (cause instanceof UnknownHostException || message.contains("Unable to resolve host")) {
            return "unknown host";
        }
        String lower = message.toLowerCase(Locale.ROOT);
        for (String known : KNOWN_NETWORK_ERRORS) {
            if (lower.contains(known.toLowerCase(Locale.ROOT))) {
                return known.toLowerCase(Locale.ROOT);
            }
        }
        return firstLine(message);
    }

    private static String firstLine(String text) {
        int newline = text.indexOf('\n');
        return newline < 0 ? text : text.substring(0, newline);
    }
}
