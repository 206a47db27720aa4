package io.raftkv.kv.state;

import static io.raftkv.kv.state.Feeder.put;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.kv.plain.PlainKvRules;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A damaged data directory is refused with an error that names the damaged file. */
class CorruptStateTest {
    private static final Duration TTL = Duration.ofHours(1);

    @TempDir
    Path dir;

    @BeforeEach
    void createState() throws IOException {
        try (KvStateMachine machine = PlainKvRules.openState(dir, TTL)) {
            new Feeder(machine).apply(put(1, 1, "k", "v", 1));
        }
    }

    private String openFails() {
        IOException error = assertThrows(IOException.class, () -> PlainKvRules.openState(dir, TTL).close());
        System.out.println("refused: " + error.getMessage());
        return error.getMessage();
    }

    @Test
    void garbageInActive() throws IOException {
        Files.write(dir.resolve("ACTIVE"), new byte[] {(byte) 0xc3, 0x28, 0, 1});
        String message = openFails();
        assertTrue(message.contains(dir.resolve("ACTIVE") + " is corrupt"), message);
    }

    @Test
    void activeNamesAMissingDirectory() throws IOException {
        Files.writeString(dir.resolve("ACTIVE"), "state-00000009\n");
        String message = openFails();
        assertTrue(message.contains("state-00000009, which does not exist"), message);
    }

    @Test
    void activeIsMissingButStateIsThere() throws IOException {
        Files.delete(dir.resolve("ACTIVE"));
        String message = openFails();
        assertTrue(message.contains(dir.resolve("ACTIVE") + " is missing"), message);
    }

    @Test
    void damagedRocksDbManifest() throws IOException {
        Path state = dir.resolve("state-00000001");
        Path manifest;
        try (Stream<Path> files = Files.list(state)) {
            manifest = files.filter(p -> p.getFileName().toString().startsWith("MANIFEST-")).findFirst()
                    .orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(manifest);
        for (int i = 0; i < bytes.length; i += 7) {
            bytes[i] ^= 0x5a;
        }
        Files.write(manifest, bytes);
        String message = openFails();
        assertTrue(message.contains("cannot open the KV state in " + state), message);
        assertTrue(message.contains(manifest.getFileName().toString()), message);
    }

    @Test
    void damagedRocksDbCurrentFile() throws IOException {
        Path current = dir.resolve("state-00000001").resolve("CURRENT");
        Files.writeString(current, "no such manifest");
        String message = openFails();
        assertTrue(message.contains("CURRENT"), message);
    }
}
