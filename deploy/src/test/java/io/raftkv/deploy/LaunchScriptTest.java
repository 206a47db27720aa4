package io.raftkv.deploy;

import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bin/raftkv-launch's record of what an AOT cache was made for; needs no JVM start and no Docker engine. */
class LaunchScriptTest {
    @TempDir
    Path root;

    @Test
    void cacheStampChangesWhenADependencyJarIsReplacedWithItsOldTime() throws IOException {
        Files.createDirectories(root.resolve("bin"));
        Files.copy(Project.root().resolve("bin/raftkv-launch"), root.resolve("bin/raftkv-launch"));
        Path lib = Files.createDirectories(root.resolve("tool/target/lib"));
        Files.writeString(root.resolve("tool/target/tool.jar"), "the module's jar");
        Path dependency = lib.resolve("common.jar");
        Files.writeString(dependency, "version one");
        FileTime copiedTime = FileTime.fromMillis(1_700_000_000_000L);
        Files.setLastModifiedTime(dependency, copiedTime);

        String before = stamp();
        assertTrue(before.contains("tool/target/tool.jar") && before.contains("tool/target/lib/common.jar"), before);

        // Maven's dependency copy keeps the source's modification time: only the size or content tells.
        Files.writeString(dependency, "version two, longer");
        Files.setLastModifiedTime(dependency, copiedTime);
        assertNotEquals(before, stamp(), "a cache made for the old jar must not count as current");
    }

    private String stamp() {
        return Command.run(Duration.ofSeconds(30),
                List.of(root.resolve("bin/raftkv-launch").toString(), "--print-cache-stamp", "tool"))
                .requireSuccess().output();
    }
}
