package io.raftkv.common.cli;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/**
 * Reads durations as people write them: {@code 10s}, {@code 500ms}, {@code 1.5s}, {@code 2m}, {@code 1h}, {@code 10}
 * (seconds) or ISO-8601 ({@code PT30S}). The option must be more than zero; {@link ZeroAllowed} accepts zero too
 * (a warm-up of {@code 0s}, say).
 */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    private static final Pattern SIMPLE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h)?");

    @Override
    public Duration convert(String value) {
        Duration duration = ZeroAllowed.convertOrThrow(value);
        if (duration.isZero()) {
            throw new CommandLine.TypeConversionException("the duration must be more than zero");
        }
        return duration;
    }

    /** The same formats, where zero means "none". */
    public static final class ZeroAllowed implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            return convertOrThrow(value);
        }

        private static Duration convertOrThrow(String value) {
            try {
                return parse(value);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    /** A duration as this converter reads it back, for messages: {@code 10s}, {@code 1500ms}. */
    public static String text(Duration duration) {
        long millis = duration.toMillis();
        return millis % 1000 == 0 ? millis / 1000 + "s" : millis + "ms";
    }

    /** Parses {@code value}; negative or unreadable durations are an {@link IllegalArgumentException}. */
    public static Duration parse(String value) {
        String text = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
        Matcher m = SIMPLE.matcher(text);
        if (m.matches()) {
            double amount = Double.parseDouble(m.group(1));
            String unit = m.group(2) == null ? "s" : m.group(2);
            double millis = switch (unit) {
                case "ms" -> amount;
                case "s" -> amount * 1_000;
                case "m" -> amount * 60_000;
                case "h" -> amount * 3_600_000;
                default -> throw new IllegalStateException(unit);
            };
            return Duration.ofMillis(Math.round(millis));
        }
        try {
            Duration duration = Duration.parse(text.toUpperCase(Locale.ROOT));
            if (!duration.isNegative()) {
                return duration;
            }
        } catch (DateTimeParseException e) {
            // fall through to the message below
        }
        throw new IllegalArgumentException("'" + value + "' is not a duration (examples: 10s, 500ms, 2m)");
    }
}
