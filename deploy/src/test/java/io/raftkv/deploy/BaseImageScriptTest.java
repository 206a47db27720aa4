package io.raftkv.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** deploy/base-image/build-base-image.sh's command line; needs no Docker engine. */
class BaseImageScriptTest {
    /** The JDK modules the services need by name (besides what jdeps finds, see RuntimeModulesTest). */
    private static final Set<String> SERVICE_MODULES = Set.of("java.base", "java.logging", "java.management",
            "jdk.unsupported", "java.naming", "jdk.httpserver", "java.net.http", "jdk.crypto.ec", "jdk.management",
            "java.xml");

    @Test
    void helpExplainsOfflineAndAirGappedUse() {
        Command.Result help = script("--help").requireSuccess();
        for (String expected : List.of("debootstrap", "--variant=minbase", "jlink", "docker import", "--force",
                "Air-gapped", "--rootfs-tar", "--mirror")) {
            assertTrue(help.output().contains(expected), "help mentions " + expected + ":\n" + help.output());
        }
    }

    @Test
    void usageErrorsExitTwo() {
        Command.Result unknown = script("--frobnicate");
        assertEquals(2, unknown.exitCode(), unknown.output());
        assertTrue(unknown.output().contains("unknown option '--frobnicate'"), unknown.output());
        assertEquals(2, script("--image").exitCode());
    }

    @Test
    void runtimeGetsEveryModuleTheServicesLoad() {
        Set<String> modules = Set.of(script("--print-modules").requireSuccess().output().trim().split(","));
        assertTrue(modules.containsAll(SERVICE_MODULES), "modules: " + modules);
    }

    static Command.Result script(String... args) {
        List<String> command = new ArrayList<>(List.of("bash",
                Project.deploy().resolve("base-image/build-base-image.sh").toString()));
        command.addAll(List.of(args));
        return Command.run(Duration.ofMinutes(2), command);
    }
}
