package io.raftkv.mapreduce.coordinator;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/**
 * Reads byte sizes as people write them: {@code 65536}, {@code 512k}, {@code 1m}, {@code 64MiB}, {@code 1g}. The
 * units are binary (k = 1024) whether written {@code k}, {@code kb} or {@code kib}, as in most tools that size
 * buffers and splits.
 */
final class ByteSize implements CommandLine.ITypeConverter<Long> {
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(?:([kmg])(?:i?b)?|b)?");

    @Override
    public Long convert(String value) {
        try {
            return parse(value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(e.getMessage());
        }
    }

    /** Parses {@code value}; unreadable or zero sizes are an {@link IllegalArgumentException}. */
    static long parse(String value) {
        String text = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
        Matcher m = SIZE.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + value + "' is not a size (examples: 64MiB, 1m, 512k, 65536)");
        }
        int shift = m.group(2) == null ? 0 : switch (m.group(2)) {
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            default -> throw new IllegalStateException(m.group(2));
        };
        long amount;
        try {
            amount = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + value + "' is too large");
        }
        if (amount == 0) {
            throw new IllegalArgumentException("the size must be more than zero");
        }
        if (amount > (Long.MAX_VALUE >> shift)) {
            throw new IllegalArgumentException("'" + value + "' is too large");
        }
        return amount << shift;
    }
}
