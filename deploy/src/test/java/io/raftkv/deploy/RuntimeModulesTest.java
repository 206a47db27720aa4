package io.raftkv.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image's Java runtime holds every JDK module that jdeps finds used by the jars in the image (and by the runtime
 * probe's libraries): a dependency that starts using a module the jlinked base lacks fails here, not in production.
 */
@RequiresDocker
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class RuntimeModulesTest {
    @TempDir
    Path temp;

    @Test
    void runtimeHasEveryModuleThePackagedJarsUse() throws IOException {
        String image = RaftkvImage.get();
        Path jdeps = Path.of(System.getProperty("java.home"), "bin", "jdeps");
        DockerSupport.requireOrSkip(Files.isExecutable(jdeps), "the test JVM has no jdeps (a JRE, not a JDK)");

        List<String> command = new ArrayList<>(List.of(jdeps.toString(), "--ignore-missing-deps",
                "--multi-release", String.valueOf(Runtime.version().feature()), "--print-module-deps"));
        command.addAll(jars(RaftkvImage.context().resolve("app"), RaftkvImage.context().resolve("lib"),
                Project.target().resolve("probe-lib")));
        int jarCount = command.size() - 5;
        long start = System.nanoTime();
        Command.Result result = Command.run(Duration.ofMinutes(5), command).requireSuccess();
        List<String> lines = result.output().lines().filter(line -> !line.isBlank()).toList();
        Set<String> needed = new TreeSet<>(List.of(lines.get(lines.size() - 1).trim().split(",")));
        System.out.printf("jdeps over %d jars in %.1f s: %s%n", jarCount,
                (System.nanoTime() - start) / 1e9, needed);
        assertTrue(needed.contains("java.base"), "unexpected jdeps output:\n" + result.output());

        OneShot.Result listed = OneShot.run(image,
                container -> container.withCreateContainerCmdModifier(cmd -> cmd.withEntrypoint("java")),
                "--list-modules");
        assertEquals(0, listed.exitCode(), listed.output());
        Set<String> present = listed.stdout().lines().map(line -> line.replaceAll("@.*", "").trim())
                .collect(Collectors.toCollection(TreeSet::new));
        Set<String> missing = new TreeSet<>(needed);
        missing.removeAll(present);
        assertTrue(missing.isEmpty(), "the image's runtime lacks " + missing
                + ": add them to MODULES in deploy/base-image/build-base-image.sh and rebuild it with --force");
    }

    /**
     * The jars of the given directories, each file name once. Modular jars are analysed as plain class-path jars
     * (their module-info removed): jdeps cannot resolve a module that requires an automatic module, such as
     * progressbar requiring jline's terminal, and only the JDK modules matter here.
     */
    private List<String> jars(Path... dirs) throws IOException {
        Map<String, Path> byName = new TreeMap<>();
        for (Path dir : dirs) {
            try (Stream<Path> files = Files.list(dir)) {
                files.filter(file -> file.toString().endsWith(".jar"))
                        .forEach(file -> byName.putIfAbsent(file.getFileName().toString(), file));
            }
        }
        List<String> jars = new ArrayList<>();
        for (Path jar : byName.values()) {
            jars.add(withoutModuleInfo(jar).toString());
        }
        return jars;
    }

    private Path withoutModuleInfo(Path jar) throws IOException {
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            if (zip.stream().noneMatch(RuntimeModulesTest::isModuleInfo)) {
                return jar;
            }
            Path copy = temp.resolve(jar.getFileName());
            try (ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(copy))) {
                for (ZipEntry entry : Collections.list(zip.entries())) {
                    if (isModuleInfo(entry)) {
                        continue;
                    }
                    out.putNextEntry(new ZipEntry(entry.getName()));
                    try (InputStream in = zip.getInputStream(entry)) {
                        in.transferTo(out);
                    }
                    out.closeEntry();
                }
            }
            return copy;
        }
    }

    private static boolean isModuleInfo(ZipEntry entry) {
        return entry.getName().equals("module-info.class") || entry.getName().endsWith("/module-info.class");
    }
}
