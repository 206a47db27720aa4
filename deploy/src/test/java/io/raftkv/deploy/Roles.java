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

    record Role(String name, String module, String description) {
        Path jar() {
            return Project.root().resolve(module).resolve("target").resolve(module + ".jar");
        }

        /** The Main-Class of the module's packaged jar; empty if the jar is not built or names none. */
        Optional<String> mainClass() {
            if (!Files.isRegularFile(jar())) {
                return Optional.empty();
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
                    .map(fields -> new Role(fields[0], fields[1], fields.length > 2 ? fields[2] : ""))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<Role> runnable() {
        return all().stream().filter(role -> role.mainClass().isPresent()).toList();
    }
}
