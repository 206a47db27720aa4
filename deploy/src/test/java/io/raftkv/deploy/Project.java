package io.raftkv.deploy;

import java.nio.file.Files;
import java.nio.file.Path;

/** Paths in the source tree, found from the root Maven passes as {@code raftkv.projectRoot}. */
final class Project {
    private Project() {}

    static Path root() {
        String configured = System.getProperty("raftkv.projectRoot");
        Path start = configured != null && !configured.isBlank() ? Path.of(configured) : Path.of("").toAbsolutePath();
        for (Path dir = start.toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("deploy/Dockerfile")) && Files.isRegularFile(dir.resolve("mvnw"))) {
                return dir;
            }
        }
        throw new IllegalStateException("cannot find the raftkv source tree from " + start);
    }

    static Path deploy() {
        return root().resolve("deploy");
    }

    /** Where this module's build writes (deploy/target). */
    static Path target() {
        return deploy().resolve("target");
    }
}
