package io.raftkv.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The project image, built once per test run by deploy/build-image.sh from the jars the reactor packaged. The base
 * image comes from the system property {@code raftkv.baseImage} or the variable {@code RAFTKV_BASE_IMAGE}
 * (CI: raftkv/jre-base:local, made without a registry); without either, the Dockerfile's public default is used.
 */
final class RaftkvImage {
    static final String TAG = "raftkv:test";

    private static boolean built;
    private static AssertionError failure;

    private RaftkvImage() {}

    /** The image's tag, after building it if this run has not yet. */
    static synchronized String get() {
        if (built) {
            return TAG;
        }
        if (failure != null) {
            throw new AssertionError("building " + TAG + " failed earlier in this run", failure);
        }
        try {
            build();
            built = true;
            return TAG;
        } catch (AssertionError e) {
            failure = e;
            throw e;
        }
    }

    static Optional<String> baseImage() {
        String property = System.getProperty("raftkv.baseImage");
        String value = property != null && !property.isBlank() ? property : System.getenv("RAFTKV_BASE_IMAGE");
        return Optional.ofNullable(value).filter(name -> !name.isBlank());
    }

    /** The build context build-image.sh staged: Dockerfile, roles.tsv, app/ and lib/. */
    static Path context() {
        return Project.target().resolve("image");
    }

    /** The roles the built image holds, from its staged roles.tsv. */
    static List<String> roles() {
        get();
        try {
            return Files.readAllLines(context().resolve("roles.tsv")).stream()
                    .filter(line -> !line.isBlank() && !line.startsWith("#"))
                    .map(line -> line.split("\t")[0])
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void build() {
        Optional<String> base = baseImage();
        if (base.isPresent() && !Command.works(List.of("docker", "image", "inspect", base.get()))) {
            throw new AssertionError("base image " + base.get() + " is not in the Docker engine; build it with "
                    + "deploy/base-image/build-base-image.sh (or unset RAFTKV_BASE_IMAGE to use the public default)");
        }
        List<String> command = new ArrayList<>(List.of("bash", Project.deploy().resolve("build-image.sh").toString(),
                "--tag", TAG, "--allow-no-roles"));
        base.ifPresent(name -> command.addAll(List.of("--base-image", name)));
        long start = System.nanoTime();
        Command.Result result = Command.run(Duration.ofMinutes(10), command).requireSuccess();
        System.out.printf("built %s on %s in %.1f s%n%s%n", TAG, base.orElse("the Dockerfile's default base"),
                (System.nanoTime() - start) / 1e9, result.output());
    }
}
