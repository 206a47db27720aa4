package io.raftkv.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.testkit.PackageImports;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The replicated services' packages import in one direction: the process mains use the services, the services (the
 * plain store's rules, the request front end, the shard groups, the shard controller) use the engine, and the engine
 * uses none of them. A cycle would tie the engine to one service and make every service build with the others.
 */
class PackageLayersTest {
    private static final String KV = "io.raftkv.kv.";
    private static final PackageImports IMPORTS = PackageImports.read(Path.of("src/main/java"));

    @Test
    void thePackagesImportEachOtherWithoutACycle() {
        assertEquals(List.of(), IMPORTS.cycle());
    }

    @Test
    void theEngineImportsNoServiceAndNoServiceImportsAProcessMain() {
        assertEquals(Set.of(), IMPORTS.importedBy(KV + "state"), "the engine imports a service");
        for (String pkg : IMPORTS.packages()) {
            Set<String> mains = new TreeSet<>(IMPORTS.importedBy(pkg));
            mains.retainAll(Set.of(KV + "main"));
            assertEquals(Set.of(), mains, pkg + " imports a process main");
        }
        assertTrue(IMPORTS.packages().containsAll(Set.of(KV + "state", KV + "plain", KV + "server", KV + "shardkv",
                KV + "shardctrler", KV + "main")), "packages: " + IMPORTS.packages());
    }
}
