package io.raftkv.mapreduce.app;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * Builds a user app jar during a test: compiles Java source against the test class path and packs the classes, so
 * the app class exists only inside the jar (as a user's would) and not on the class path.
 */
public final class UserAppJars {
    /** A word count that upper-cases words, to tell its output from the built-in one. */
    public static final String UPPER_WORD_COUNT_CLASS = "com.example.UpperWordCount";
    public static final String UPPER_WORD_COUNT_SOURCE = """
            package com.example;

            import io.raftkv.mapreduce.app.KeyValue;
            import io.raftkv.mapreduce.app.MapReduceApp;
            import io.raftkv.mapreduce.app.Words;
            import java.util.ArrayList;
            import java.util.List;
            import java.util.Locale;

            public class UpperWordCount implements MapReduceApp {
                @Override
                public List<KeyValue> map(String filename, String contents) {
                    List<KeyValue> pairs = new ArrayList<>();
                    for (String word : Words.split(contents)) {
                        pairs.add(new KeyValue(word.toUpperCase(Locale.ROOT), "1"));
                    }
                    return pairs;
                }

                @Override
                public String reduce(String key, List<String> values) {
                    return Integer.toString(values.size());
                }
            }
            """;

    private UserAppJars() {}

    /** Compiles {@code source} (one public class named {@code className}) into {@code dir/name.jar}. */
    public static Path build(Path dir, String name, String className, String source) {
        try {
            Path src = dir.resolve(name + "-src");
            Path classes = dir.resolve(name + "-classes");
            Path file = src.resolve(className.replace('.', '/') + ".java");
            Files.createDirectories(file.getParent());
            Files.createDirectories(classes);
            Files.writeString(file, source);
            JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
            if (compiler == null) {
                throw new IllegalStateException("tests need a JDK (no system Java compiler found)");
            }
            int status = compiler.run(null, null, null, "-d", classes.toString(),
                    "-cp", System.getProperty("java.class.path"), file.toString());
            if (status != 0) {
                throw new IllegalStateException("compiling " + className + " failed");
            }
            Path jar = dir.resolve(name + ".jar");
            try (OutputStream out = Files.newOutputStream(jar);
                    JarOutputStream jarOut = new JarOutputStream(out);
                    Stream<Path> files = Files.walk(classes)) {
                for (Path classFile : files.filter(Files::isRegularFile).toList()) {
                    jarOut.putNextEntry(new JarEntry(classes.relativize(classFile).toString().replace('\\', '/')));
                    jarOut.write(Files.readAllBytes(classFile));
                    jarOut.closeEntry();
                }
            }
            return jar;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The upper-casing word count, built into {@code dir/upper-wc.jar}. */
    public static Path upperWordCount(Path dir) {
        return build(dir, "upper-wc", UPPER_WORD_COUNT_CLASS, UPPER_WORD_COUNT_SOURCE);
    }
}
