package io.raftkv.mapreduce.task;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;

/** Writes final output lines, {@code key value}, in UTF-8. */
final class OutputLines {
    private final Writer writer;

    OutputLines(OutputStream out) {
        this.writer = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), 64 * 1024);
    }

    void write(String key, String value) throws IOException {
        writer.write(key);
        writer.write(' ');
        writer.write(value);
        writer.write('\n');
    }

    void flush() throws IOException {
        writer.flush();
    }
}
