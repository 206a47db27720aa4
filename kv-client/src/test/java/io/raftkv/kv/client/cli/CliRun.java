package io.raftkv.kv.client.cli;

import io.raftkv.common.cli.Mains;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** Runs the kv CLI in this JVM with the given stdin and environment, capturing its exit code, stdout and stderr. */
record CliRun(int exitCode, byte[] stdoutBytes, String stderr) {

    String stdout() {
        return new String(stdoutBytes, StandardCharsets.UTF_8);
    }

    static CliRun run(Map<String, String> environment, byte[] stdin, String... args) {
        InputStream originalIn = System.in;
        PrintStream originalOut = System.out;
        PrintStream originalErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        synchronized (CliRun.class) {
            try {
                System.setIn(new ByteArrayInputStream(stdin));
                System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
                System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
                int code = Mains.execute(new KvCli(environment::get), args);
                System.out.flush();
                System.err.flush();
                return new CliRun(code, out.toByteArray(), err.toString(StandardCharsets.UTF_8));
            } finally {
                System.setIn(originalIn);
                System.setOut(originalOut);
                System.setErr(originalErr);
            }
        }
    }

    static CliRun run(String... args) {
        return run(Map.of(), new byte[0], args);
    }

    @Override
    public String toString() {
        return "exit " + exitCode + "\nstdout: " + stdout() + "\nstderr: " + stderr;
    }
}
