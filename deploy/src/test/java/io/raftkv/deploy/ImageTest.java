package io.raftkv.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.command.InspectImageResponse;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.testcontainers.DockerClientFactory;

/** The project image: built from the packaged jars on the configured base, non-root, one role per process type. */
@RequiresDocker
@Timeout(value = 10, unit = TimeUnit.MINUTES)
class ImageTest {
    @Test
    void isBuiltOnTheConfiguredBaseImage() {
        String image = RaftkvImage.get();
        String base = RaftkvImage.baseImage().orElse(null);
        DockerSupport.requireOrSkip(base != null, "no base image configured: the Dockerfile's public default is used");
        List<String> baseLayers = inspect(base).getRootFS().getLayers();
        List<String> layers = inspect(image).getRootFS().getLayers();
        assertTrue(layers.size() > baseLayers.size() && layers.subList(0, baseLayers.size()).equals(baseLayers),
                image + " does not start with the layers of " + base);
    }

    @Test
    void runsAsANonRootUserWithItsDataOnAWritableVolume() {
        String image = RaftkvImage.get();
        InspectImageResponse inspected = inspect(image);
        assertEquals("raftkv:raftkv", inspected.getConfig().getUser());
        assertTrue(inspected.getConfig().getVolumes().containsKey("/var/lib/raftkv"),
                "volumes: " + inspected.getConfig().getVolumes().keySet());

        OneShot.Result result = OneShot.run(image,
                container -> container.withCreateContainerCmdModifier(cmd -> cmd.withEntrypoint("sh", "-c")),
                "id -u; id -un; stat -c %U /var/lib/raftkv; touch /var/lib/raftkv/written && echo data-writable;"
                        + " touch /opt/raftkv/written 2>/dev/null || echo code-read-only");
        assertEquals(0, result.exitCode(), result.output());
        List<String> lines = result.stdout().lines().toList();
        assertEquals(List.of("10001", "raftkv", "raftkv", "data-writable", "code-read-only"), lines, result.output());
    }

    @Test
    void helpListsTheRolesAndAnUnknownRoleIsAUsageError() {
        String image = RaftkvImage.get();
        for (String[] command : List.of(new String[] {"--help"}, new String[0])) {
            OneShot.Result help = OneShot.run(image, command);
            assertEquals(0, help.exitCode(), help.output());
            for (String role : RaftkvImage.roles()) {
                assertTrue(help.stdout().contains("  " + role + " "), "help lists " + role + ":\n" + help.stdout());
            }
            assertTrue(help.stdout().contains("grpc-health"), help.stdout());
        }

        OneShot.Result unknown = OneShot.run(image, "no-such-role");
        assertEquals(2, unknown.exitCode(), unknown.output());
        assertTrue(unknown.stderr().startsWith("error: unknown role 'no-such-role'"), unknown.stderr());
    }

    @Test
    void holdsExactlyTheRolesOfRolesTsv() {
        assertEquals(Roles.all().stream().map(Roles.Role::name).toList(), RaftkvImage.roles());
    }

    static List<Roles.Role> roles() {
        return Roles.all();
    }

    @ParameterizedTest
    @MethodSource("roles")
    void eachRoleAnswersHelp(Roles.Role role) {
        DockerSupport.requireOrSkip(role.mainClass().isPresent(),
                role.module() + "/target/" + role.module() + ".jar is not built or names no Main-Class yet");
        String image = RaftkvImage.get();
        assertTrue(RaftkvImage.roles().contains(role.name()), "the image lacks runnable role " + role);

        OneShot.Result help = OneShot.run(image, role.name(), "--help");
        assertEquals(0, help.exitCode(), help.output());
        assertTrue(help.stdout().contains("Usage:"), help.output());
        // The entry point's --enable-native-access=ALL-UNNAMED keeps JNI users (RocksDB) from warning.
        assertFalse(help.output().contains("restricted method"), "the JVM warned:\n" + help.output());
    }

    private static InspectImageResponse inspect(String image) {
        return DockerClientFactory.instance().client().inspectImageCmd(image).exec();
    }
}
