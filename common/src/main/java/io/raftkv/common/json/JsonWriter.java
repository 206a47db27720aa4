package io.raftkv.common.json;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;

/**
 * Writes one JSON document, in order, with the commas where they go: the small JSON the status pages and the CLI's
 * {@code --json} outputs need, without a JSON library. Misuse (a value where a name is due, unbalanced ends) throws.
 */
public final class JsonWriter {
    private final StringBuilder out = new StringBuilder();
    /** The objects and arrays open, innermost first. */
    private final Deque<Frame> open = new ArrayDeque<>();
    private boolean nameWritten;

    public JsonWriter beginObject() {
        beforeValue();
        out.append('{');
        open.push(new Frame(true));
        return this;
    }

    public JsonWriter endObject() {
        return end(true, '}');
    }

    public JsonWriter beginArray() {
        beforeValue();
        out.append('[');
        open.push(new Frame(false));
        return this;
    }

    public JsonWriter endArray() {
        return end(false, ']');
    }

    /** The name of the next member of the object being written. */
    public JsonWriter name(String name) {
        if (open.isEmpty() || !open.peek().object || nameWritten) {
            throw new IllegalStateException("a name outside an object, or two names in a row");
        }
        comma();
        out.append(quoted(name)).append(':');
        nameWritten = true;
        return this;
    }

    public JsonWriter value(String text) {
        beforeValue();
        out.append(text == null ? "null" : quoted(text));
        return this;
    }

    public JsonWriter value(long number) {
        beforeValue();
        out.append(number);
        return this;
    }

    /** A number with up to three decimals; NaN and infinities (no JSON for them) as null. */
    public JsonWriter value(double number) {
        beforeValue();
        out.append(Double.isFinite(number) ? String.format(Locale.ROOT, "%.3f", number) : "null");
        return this;
    }

    public JsonWriter value(boolean flag) {
        beforeValue();
        out.append(flag);
        return this;
    }

    public JsonWriter field(String name, String text) {
        return name(name).value(text);
    }

    public JsonWriter field(String name, long number) {
        return name(name).value(number);
    }

    public JsonWriter field(String name, double number) {
        return name(name).value(number);
    }

    public JsonWriter field(String name, boolean flag) {
        return name(name).value(flag);
    }

    /** The document; everything opened must be closed. */
    @Override
    public String toString() {
        if (!open.isEmpty()) {
            throw new IllegalStateException("the JSON document has " + open.size() + " unclosed objects or arrays");
        }
        return out.toString();
    }

    /** {@code text} as a JSON string: quoted, with quotes, backslashes and control characters escaped. */
    public static String quoted(String text) {
        StringBuilder quoted = new StringBuilder(text.length() + 2).append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '"' || c == '\\') {
                quoted.append('\\').append(c);
            } else if (c < 0x20) {
                quoted.append(String.format("\\u%04x", (int) c));
            } else {
                quoted.append(c);
            }
        }
        return quoted.append('"').toString();
    }

    private void beforeValue() {
        if (nameWritten) {
            nameWritten = false;
            return;
        }
        if (!open.isEmpty()) {
            if (open.peek().object) {
                throw new IllegalStateException("a value in an object needs its name first");
            }
            comma();
        }
    }

    private void comma() {
        Frame frame = open.peek();
        if (frame.hasMember) {
            out.append(',');
        }
        frame.hasMember = true;
    }

    private JsonWriter end(boolean object, char close) {
        if (open.isEmpty() || open.peek().object != object || nameWritten) {
            throw new IllegalStateException("nothing to close with " + close + ", or a name without its value");
        }
        open.pop();
        out.append(close);
        return this;
    }

    /** An open object or array, and whether it holds a member yet (then a comma is due before the next). */
    private static final class Frame {
        final boolean object;
        boolean hasMember;

        Frame(boolean object) {
            this.object = object;
        }
    }
}
