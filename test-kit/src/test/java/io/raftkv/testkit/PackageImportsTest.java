package io.raftkv.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PackageImportsTest {
    @TempDir
    Path dir;

    private void source(String pkg, String name, String... imports) throws IOException {
        StringBuilder text = new StringBuilder("package " + pkg + ";\n\n");
        for (String imported : imports) {
            text.append("import ").append(imported).append(";\n");
        }
        text.append("final class ").append(name).append(" {}\n");
        Path file = dir.resolve(pkg.replace('.', '/')).resolve(name + ".java");
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }

    @Test
    void importsBetweenTheTreesOwnPackagesAreCountedAndOthersIgnored() throws IOException {
        source("a.top", "Main", "a.low.Engine", "java.util.List", "static a.low.Engine.open");
        source("a.low", "Engine", "java.nio.file.Path");
        PackageImports imports = PackageImports.read(dir);
        assertEquals(Set.of("a.low", "a.top"), imports.packages());
        assertEquals(Set.of("a.low"), imports.importedBy("a.top"));
        assertEquals(Set.of(), imports.importedBy("a.low"));
        assertEquals(List.of(), imports.cycle());
    }

    @Test
    void aCycleIsReportedWithItsPackagesInOrder() throws IOException {
        source("a.one", "One", "a.two.Two");
        source("a.two", "Two", "a.three.Three");
        source("a.three", "Three", "a.one.One");
        assertEquals(List.of("a.one", "a.two", "a.three", "a.one"), PackageImports.read(dir).cycle());
    }
}
