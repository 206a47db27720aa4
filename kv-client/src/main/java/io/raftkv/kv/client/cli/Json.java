package io.raftkv.kv.client.cli;

import io.raftkv.common.json.JsonWriter;
import java.util.List;

/** The little JSON the CLI's {@code --json} outputs need: strings quoted and escaped, lists of strings. */
final class Json {
    private Json() {}

    static String quoted(String text) {
        return JsonWriter.quoted(text);
    }

    static String object(java.util.Map<String, String> fields) {
        StringBuilder out = new StringBuilder("{");
        fields.forEach((name, value) -> out.append(out.length() == 1 ? "" : ",").append(quoted(name)).append(':')
                .append(quoted(value)));
        return out.append('}').toString();
    }

    static String list(List<String> texts) {
        StringBuilder out = new StringBuilder("[");
        for (int i = 0; i < texts.size(); i++) {
            out.append(i == 0 ? "" : ",").append(quoted(texts.get(i)));
        }
        return out.append(']').toString();
    }
}
