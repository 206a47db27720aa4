package io.raftkv.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.jar.JarFile;

/** The image's roles as listed in deploy/roles.tsv, and whether each one's module jar is runnable yet. */
final class Roles {
    private Roles() {}

    /** @param mainClassName the main class, or "-" for the module jar's Main-Class */
    record Role(String name, String module, String mainClassName, String description) {
        Path jar() {
            return Project.root().resolve(module).resolve("target").resolve(module + ".jar");
        }

        /** The role's main class (its own, or the module jar's Main-Class); empty if the jar is not built. */
        Optional<String> mainClass() {
            if (!Files.isRegularFile(jar())) {
                return Optional.empty();
            }
            if (!mainClassName.equals("-")) {
                return Optional.of(mainClassName);
            }
            try (JarFile jarFile = new JarFile(jar().toFile())) {
                return Optional.ofNullable(jarFile.getManifest())
                        .map(manifest -> manifest.getMainAttributes().getValue("Main-Class"))
                        .filter(name -> !name.isBlank());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public String toString() {
            return name;
        }
    }

    static List<Role> all() {
        try {
            return Files.readAllLines(Project.deploy().resolve("roles.tsv")).stream()
                    .filter(line -> !line.isBlank() && !line.startsWith("#"))
                    .map(line -> line.split("\t"))
                    .map(fields -> new Role(fields[0], fields[1], fields[2], fields.length > 3 ? fields[3] : ""))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<Role> runnable() {
        return all().stream().filter(role -> role.mainClass().isPresent()).toList();
    }
}
