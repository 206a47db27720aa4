package io.raftkv.common.backup;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BackupFileTest {
    private static final BackupHeader HEADER = new BackupHeader("kv", "0123456789abcdef", "n2", 4_711, 9,
            1_765_000_000_000L, List.of("n1=127.0.0.1:7001", "n2=127.0.0.1:7002"),
            new java.util.TreeMap<>(java.util.Map.of("shards", "10", "configuration", "4")));

    @TempDir
    Path dir;

    private Path writeBackup(byte[] body) throws IOException {
        Path file = dir.resolve("backup.db");
        try (OutputStream out = Files.newOutputStream(file)) {
            BackupFile.write(HEADER, sink -> {
                sink.write(body, 0, body.length / 2);
                sink.write(body, body.length / 2, body.length - body.length / 2);
                sink.close(); // a body writer that closes its stream must not cut the trailer off
            }, out);
        }
        return file;
    }

    @Test
    void aWrittenBackupReadsBackWithItsHeaderAndBody() throws IOException {
        byte[] body = new byte[300_000];
        new Random(7).nextBytes(body);
        BackupFile backup = BackupFile.verify(writeBackup(body));
        assertEquals(HEADER, backup.header());
        assertEquals(body.length, backup.bodyLength());
        assertEquals(Files.size(backup.path()), backup.fileLength());
        try (InputStream in = backup.openBody()) {
            assertArrayEquals(body, in.readAllBytes());
        }
    }

    @Test
    void everyFlippedBitAndEveryTruncationIsRefused() throws IOException {
        byte[] body = new byte[2_000];
        new Random(8).nextBytes(body);
        byte[] good = Files.readAllBytes(writeBackup(body));
        Path bad = dir.resolve("bad.db");
        Random random = new Random(9);
        for (int trial = 0; trial < 200; trial++) {
            byte[] flipped = good.clone();
            int at = random.nextInt(flipped.length);
            flipped[at] ^= (byte) (1 << random.nextInt(8));
            Files.write(bad, flipped);
            IOException e = assertThrows(IOException.class, () -> BackupFile.verify(bad), "bit flipped at " + at);
            assertTrue(e.getMessage().contains("is damaged"), e.getMessage());
        }
        for (int length : new int[] {0, 5, 30, good.length / 2, good.length - 1}) {
            Files.write(bad, Arrays.copyOf(good, length));
            assertThrows(IOException.class, () -> BackupFile.verify(bad), "cut to " + length + " bytes");
        }
    }

    @Test
    void aMissingFileIsNamed() {
        IOException e = assertThrows(IOException.class, () -> BackupFile.verify(dir.resolve("nope.db")));
        assertTrue(e.getMessage().contains("nope.db") && e.getMessage().contains("does not exist"), e.getMessage());
    }
}
