package io.raftkv.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** deploy/build-image.sh's staging of the build context; needs no Docker engine. */
class BuildImageScriptTest {
    @TempDir
    Path temp;

    @Test
    void stagesEveryRunnableRoleWithItsMainClassAndLibraries() throws IOException {
        Path context = temp.resolve("context");
        Command.Result result = script(Project.root(), "--stage-only", "--allow-no-roles", "--context",
                context.toString()).requireSuccess();
        assertTrue(result.output().trim().endsWith(context.toString()), result.output());

        List<String[]> staged = stagedRoles(context);
        List<String> expected = Roles.runnable().stream().map(Roles.Role::name).toList();
        // With no module jar built both lists would be empty and equal: that would check nothing.
        DockerSupport.requireOrSkip(!expected.isEmpty(), "no module jar is built (run the package phase first)");
        assertEquals(expected, staged.stream().map(fields -> fields[0]).toList(), "roles staged");
        for (String[] fields : staged) {
            Roles.Role role = Roles.all().stream().filter(r -> r.name().equals(fields[0])).findFirst().orElseThrow();
            assertEquals(role.module() + ".jar", fields[1]);
            assertEquals(role.mainClass().orElseThrow(), fields[2], "main class of " + role);
            assertTrue(Files.isRegularFile(context.resolve("app").resolve(fields[1])), fields[1] + " staged");
            for (String entry : classPath(role.jar())) {
                assertTrue(Files.isRegularFile(context.resolve(entry)), role + " needs " + entry);
            }
        }
        assertTrue(Files.isRegularFile(context.resolve("Dockerfile")));
        assertTrue(Files.isExecutable(context.resolve("raftkv-entrypoint.sh")));
    }

    @Test
    void refusesAnImageWithNoRunnableRoleUnlessAllowed() throws IOException {
        Path tree = fakeTree();
        Command.Result refused = script(tree, "--stage-only");
        assertEquals(1, refused.exitCode(), refused.output());
        assertTrue(refused.output().contains("no role has a runnable jar"), refused.output());
        script(tree, "--stage-only", "--allow-no-roles").requireSuccess();
    }

    @Test
    void stagesAFakeModuleAndFailsWhenALibraryIsMissing() throws IOException {
        Path tree = fakeTree();
        Path target = Files.createDirectories(tree.resolve("worker/target/lib"));
        Files.writeString(target.resolve("dep-1.0.jar"), "not really a jar");
        writeJar(tree.resolve("worker/target/worker.jar"), "com.example.WorkerMain", "lib/dep-1.0.jar lib/other-2.0.jar");

        Command.Result missing = script(tree, "--stage-only");
        assertEquals(1, missing.exitCode(), missing.output());
        assertTrue(missing.output().contains("needs lib/other-2.0.jar, which is missing"), missing.output());

        Files.writeString(target.resolve("other-2.0.jar"), "not really a jar either");
        script(tree, "--stage-only").requireSuccess();
        Path context = tree.resolve("deploy/target/image");
        List<String[]> staged = stagedRoles(context);
        assertEquals(1, staged.size());
        assertEquals(List.of("mr-worker", "worker.jar", "com.example.WorkerMain"),
                List.of(staged.get(0)).subList(0, 3));
        assertTrue(Files.isRegularFile(context.resolve("lib/dep-1.0.jar")));
        assertTrue(Files.isRegularFile(context.resolve("lib/other-2.0.jar")));
    }

    @Test
    void refusesToEmptyADirectoryItDidNotStage() throws IOException {
        Path precious = Files.createDirectories(temp.resolve("precious"));
        Files.writeString(precious.resolve("keep.txt"), "keep");
        Command.Result result = script(Project.root(), "--stage-only", "--allow-no-roles", "--context",
                precious.toString());
        assertEquals(1, result.exitCode(), result.output());
        assertTrue(Files.exists(precious.resolve("keep.txt")));
    }

    @Test
    void helpAndUsageErrors() {
        Command.Result help = script(Project.root(), "--help").requireSuccess();
        assertTrue(help.output().contains("--base-image"), help.output());
        Command.Result bad = script(Project.root(), "--no-such-option");
        assertEquals(2, bad.exitCode(), bad.output());
        assertTrue(bad.output().contains("unknown option '--no-such-option'"), bad.output());
        assertEquals(2, script(Project.root(), "--tag").exitCode());
    }

    private static Command.Result script(Path root, String... args) {
        List<String> command = new ArrayList<>(List.of("bash", root.resolve("deploy/build-image.sh").toString()));
        command.addAll(List.of(args));
        return Command.run(Duration.ofMinutes(2), command);
    }

    /** A source tree holding only what build-image.sh reads: the deploy files, and no module jars. */
    private Path fakeTree() throws IOException {
        Path tree = temp.resolve("tree");
        Path deploy = Files.createDirectories(tree.resolve("deploy/image"));
        for (String file : List.of("build-image.sh", "Dockerfile", "roles.tsv", "image/raftkv-entrypoint.sh")) {
            Files.copy(Project.deploy().resolve(file), tree.resolve("deploy").resolve(file));
        }
        assertTrue(Files.isDirectory(deploy));
        return tree;
    }

    private static void writeJar(Path jar, String mainClass, String classPath) throws IOException {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, mainClass);
        manifest.getMainAttributes().put(Attributes.Name.CLASS_PATH, classPath);
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream jarOut = new JarOutputStream(out, manifest)) {
            jarOut.flush();
        }
    }

    private static List<String[]> stagedRoles(Path context) throws IOException {
        try (Stream<String> lines = Files.lines(context.resolve("roles.tsv"))) {
            return lines.filter(line -> !line.startsWith("#") && !line.isBlank()).map(line -> line.split("\t")).toList();
        }
    }

    private static List<String> classPath(Path jar) throws IOException {
        try (JarFile jarFile = new JarFile(jar.toFile())) {
            String value = jarFile.getManifest().getMainAttributes().getValue(Attributes.Name.CLASS_PATH);
            return value == null ? List.of() : List.of(value.trim().split("\\s+"));
        }
    }
}
