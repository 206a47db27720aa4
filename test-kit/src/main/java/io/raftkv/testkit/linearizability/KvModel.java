package io.raftkv.testkit.linearizability;

import java.util.Objects;

/**
 * The sequential specification of a key/value map with get, put, append and delete, partitioned by key (each key is
 * an independent register, so each is checked on its own).
 *
 * <p>Values are strings; histories of binary values can map bytes to strings one to one (ISO-8859-1).
 */
public final class KvModel implements Model<KvModel.KeyState, KvModel.Input, KvModel.Output> {

    /** The shared instance (the model has no configuration). */
    public static final KvModel INSTANCE = new KvModel();

    public enum Op { GET, PUT, APPEND, DELETE }

    /** What was asked: {@code value} is set for put and append only. */
    public record Input(Op op, String key, String value) {
        public Input {
            Objects.requireNonNull(op, "op");
            Objects.requireNonNull(key, "key");
            if ((op == Op.PUT || op == Op.APPEND) != (value != null)) {
                throw new IllegalArgumentException(op + " " + (value == null ? "needs" : "takes no") + " a value");
            }
        }

        public static Input get(String key) {
            return new Input(Op.GET, key, null);
        }

        public static Input put(String key, String value) {
            return new Input(Op.PUT, key, value);
        }

        public static Input append(String key, String value) {
            return new Input(Op.APPEND, key, value);
        }

        public static Input delete(String key) {
            return new Input(Op.DELETE, key, null);
        }
    }

    /**
     * What was answered: for get, whether the key was found and its value; for delete, whether the key existed; for
     * put and append nothing ({@link #ok()}).
     */
    public record Output(boolean found, String value) {
        private static final Output OK = new Output(true, null);
        private static final Output NOT_FOUND = new Output(false, null);

        public static Output value(String value) {
            return new Output(true, Objects.requireNonNull(value, "value"));
        }

        public static Output notFound() {
            return NOT_FOUND;
        }

        /** A put or append that completed, or a delete of a key that existed. */
        public static Output ok() {
            return OK;
        }

        /** A delete's answer: whether the key existed. */
        public static Output deleted(boolean existed) {
            return existed ? OK : NOT_FOUND;
        }
    }

    /**
     * One key's state: absent, or present with a value. Values built by appends share their prefixes (the search
     * keeps many states alive at once, and copying a long value on every append would fill the heap).
     */
    public static final class KeyState {
        public static final KeyState ABSENT = new KeyState(null);

        private final Text text;

        private KeyState(Text text) {
            this.text = text;
        }

        public static KeyState of(String value) {
            return new KeyState(Text.of(value));
        }

        public boolean present() {
            return text != null;
        }

        /** The value (null when absent). */
        public String value() {
            return text == null ? null : text.toString();
        }

        KeyState append(String suffix) {
            return new KeyState(text == null ? Text.of(suffix) : text.append(suffix));
        }

        boolean holds(String value) {
            return text != null && text.contentEquals(value);
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof KeyState state && (text == null ? state.text == null : text.equals(state.text));
        }

        @Override
        public int hashCode() {
            return text == null ? 0 : text.hashCode();
        }

        @Override
        public String toString() {
            return text == null ? "absent" : '"' + text.toString() + '"';
        }
    }

    /** An immutable string as a chain of appended pieces, with a polynomial hash that composes across appends. */
    private static final class Text {
        private static final long BASE = 0x100000001b3L;

        private final Text prefix;
        private final String last;
        private final int length;
        private final long hash;

        private Text(Text prefix, String last, int length, long hash) {
            this.prefix = prefix;
            this.last = last;
            this.length = length;
            this.hash = hash;
        }

        static Text of(String value) {
            return new Text(null, value, value.length(), hashOf(value, 0));
        }

        Text append(String suffix) {
            return new Text(this, suffix, length + suffix.length(), hashOf(suffix, hash));
        }

        private static long hashOf(String piece, long seed) {
            long h = seed;
            for (int i = 0; i < piece.length(); i++) {
                h = h * BASE + piece.charAt(i);
            }
            return h;
        }

        boolean contentEquals(String value) {
            if (value.length() != length) {
                return false;
            }
            int end = length;
            for (Text t = this; t != null; t = t.prefix) {
                end -= t.last.length();
                if (!value.startsWith(t.last, end)) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public boolean equals(Object other) {
            if (!(other instanceof Text text) || length != text.length || hash != text.hash) {
                return false;
            }
            // States reached along different search paths usually share a prefix node and have equal pieces after
            // it: compare piece by piece from the end, and flatten only when the pieces do not line up.
            Text a = this;
            Text b = text;
            while (a != b) {
                if (a == null || b == null || a.length != b.length || !a.last.equals(b.last)) {
                    return contentEquals(text.toString());
                }
                a = a.prefix;
                b = b.prefix;
            }
            return true;
        }

        @Override
        public int hashCode() {
            return Long.hashCode(hash);
        }

        @Override
        public String toString() {
            if (prefix == null) {
                return last;
            }
            char[] chars = new char[length];
            int end = length;
            for (Text t = this; t != null; t = t.prefix) {
                end -= t.last.length();
                t.last.getChars(0, t.last.length(), chars, end);
            }
            return new String(chars);
        }
    }

    private KvModel() {}

    @Override
    public KeyState init() {
        return KeyState.ABSENT;
    }

    @Override
    public KeyState step(KeyState state, Input input, Output output) {
        return switch (input.op()) {
            case GET -> {
                if (output == null) {
                    yield state;
                }
                boolean matches = output.found() ? state.holds(output.value()) : !state.present();
                yield matches ? state : null;
            }
            case PUT -> KeyState.of(input.value());
            case APPEND -> state.append(input.value());
            case DELETE -> output != null && output.found() != state.present() ? null : KeyState.ABSENT;
        };
    }

    @Override
    public boolean isReadOnly(Input input) {
        return input.op() == Op.GET;
    }

    @Override
    public Object partitionKey(Input input) {
        return input.key();
    }

    @Override
    public String describe(Input input, Output output) {
        String call = switch (input.op()) {
            case GET -> "get(" + quote(input.key()) + ")";
            case PUT -> "put(" + quote(input.key()) + ", " + quote(input.value()) + ")";
            case APPEND -> "append(" + quote(input.key()) + ", " + quote(input.value()) + ")";
            case DELETE -> "delete(" + quote(input.key()) + ")";
        };
        if (output == null) {
            return call + " -> unknown outcome";
        }
        return switch (input.op()) {
            case GET -> call + " -> " + (output.found() ? quote(output.value()) : "not found");
            case DELETE -> call + " -> " + (output.found() ? "deleted" : "not found");
            case PUT, APPEND -> call;
        };
    }

    @Override
    public String describeState(KeyState state) {
        return state.present() ? quote(state.value()) : "absent";
    }

    private static String quote(String text) {
        String shown = text.length() > 60 ? "..." + text.substring(text.length() - 57) : text;
        return '"' + shown + '"';
    }
}
