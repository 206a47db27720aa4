package io.raftkv.mapreduce.app;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/** Which app a job runs: a built-in one by name, or a user class (from a jar, or from the class path). */
public sealed interface AppSpec {

    /**
     * The app's identity as workers and the coordinator compare it: the built-in name ({@code wc}) or
     * {@code class:} followed by the class name.
     */
    String id();

    static AppSpec builtIn(String name) {
        return new BuiltIn(name);
    }

    static AppSpec userClass(String className, Path jar) {
        return new UserClass(className, Optional.ofNullable(jar));
    }

    record BuiltIn(String name) implements AppSpec {
        public BuiltIn {
            Objects.requireNonNull(name, "name");
        }

        @Override
        public String id() {
            return name;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    record UserClass(String className, Optional<Path> jar) implements AppSpec {
        public UserClass {
            Objects.requireNonNull(className, "className");
            Objects.requireNonNull(jar, "jar");
        }

        @Override
        public String id() {
            return "class:" + className;
        }

        @Override
        public String toString() {
            return jar.map(j -> className + " from " + j).orElse(className);
        }
    }
}
