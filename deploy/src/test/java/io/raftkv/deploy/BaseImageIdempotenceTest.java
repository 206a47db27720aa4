package io.raftkv.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The base-image script keeps an up-to-date image (CI runs it on every build) and recognises one made from another
 * JDK, module list or suite, through the fingerprint it stores in the image.
 */
@RequiresDocker
class BaseImageIdempotenceTest {
    @TempDir
    Path temp;

    @Test
    void upToDateImageIsKeptWithoutForce() {
        String base = scriptMadeBase();
        String before = imageId(base);
        Command.Result check = BaseImageScriptTest.script("--image", base, "--check");
        assertEquals(0, check.exitCode(), check.output());

        Command.Result again = BaseImageScriptTest.script("--image", base).requireSuccess();
        assertTrue(again.output().contains("is up to date; nothing to do"), again.output());
        assertEquals(before, imageId(base), "the image changed");
    }

    @Test
    void imageWithAnotherFingerprintOrNoImageWouldBeBuilt() throws IOException {
        String base = scriptMadeBase();
        String stale = "raftkv/jre-base:stale-fingerprint-test";
        Files.writeString(temp.resolve("Dockerfile"), "FROM " + base + "\nENV RAFTKV_BASE_FINGERPRINT=0000\n");
        Command.run(Duration.ofMinutes(2), List.of("docker", "build", "-q", "-t", stale, temp.toString()))
                .requireSuccess();
        try {
            Command.Result check = BaseImageScriptTest.script("--image", stale, "--check");
            assertEquals(1, check.exitCode(), check.output());
            assertTrue(check.output().contains("is out of date"), check.output());
        } finally {
            Command.run(Duration.ofMinutes(1), List.of("docker", "image", "rm", stale));
        }
        Command.Result missing = BaseImageScriptTest.script("--image", stale, "--check");
        assertEquals(1, missing.exitCode(), missing.output());
        assertTrue(missing.output().contains("does not exist"), missing.output());
    }

    private static String scriptMadeBase() {
        String base = RaftkvImage.baseImage().orElse(null);
        DockerSupport.requireOrSkip(base != null && base.startsWith("raftkv/"),
                "the base image is not one the script made");
        DockerSupport.requireOrSkip(Command.works(List.of("docker", "image", "inspect", base)), base + " is not built");
        return base;
    }

    private static String imageId(String image) {
        return Command.run(Duration.ofSeconds(30), List.of("docker", "image", "inspect", "--format", "{{.Id}}", image))
                .requireSuccess().output().trim();
    }
}
