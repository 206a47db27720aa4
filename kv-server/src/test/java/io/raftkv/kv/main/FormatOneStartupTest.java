package io.raftkv.kv.main;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.common.cli.ExitCodes;
import io.raftkv.common.cli.Mains;
import io.raftkv.kv.plain.PlainKvRules;
import io.raftkv.testkit.Ports;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.DBOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;

/**
 * A node started on a data directory of state format 1 (what raftkv wrote before the request header) exits with
 * the failure code and one line naming both formats, instead of reading old log entries as new ones.
 */
class FormatOneStartupTest {
    static {
        RocksDB.loadLibrary();
    }

    @TempDir
    Path dir;

    private record Run(int code, String output) {}

    @Test
    void theShardControllerRefusesItsFormatOneDatabase() throws Exception {
        Path data = dir.resolve("n1");
        Path state = Files.createDirectories(data.resolve("ctrl"));
        // Format 1's controller: one RocksDB database at the top of ctrl/, keys prefixed m (meta), c and s.
        try (Options options = new Options().setCreateIfMissing(true);
                RocksDB old = RocksDB.open(options, state.toString())) {
            old.put("mformat".getBytes(StandardCharsets.UTF_8), longBytes(1));
            old.put("mshards".getBytes(StandardCharsets.UTF_8), longBytes(10));
        }
        assertRefused(run(new ShardCtrlerMain(), data, "--shards", "10"));
    }

    @Test
    void theKvServerRefusesAKvStateOfFormatOne() throws Exception {
        Path data = dir.resolve("n1");
        Path state = data.resolve("kv");
        PlainKvRules.openState(state, Duration.ofHours(1)).close();
        // Format 1 had this layout, marked 1.
        Path db = state.resolve(Files.readString(state.resolve("ACTIVE")).strip());
        List<ColumnFamilyDescriptor> families = new ArrayList<>();
        try (Options listing = new Options()) {
            for (byte[] name : RocksDB.listColumnFamilies(listing, db.toString())) {
                families.add(new ColumnFamilyDescriptor(name));
            }
        }
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        try (DBOptions options = new DBOptions(); RocksDB old = RocksDB.open(options, db.toString(), families, handles)) {
            old.put(handles.get(0), "format".getBytes(StandardCharsets.UTF_8), longBytes(1));
            handles.forEach(ColumnFamilyHandle::close);
        }
        assertRefused(run(new KvServerMain(), data));
    }

    private static void assertRefused(Run run) {
        assertEquals(ExitCodes.FAILURE, run.code(), run.output());
        List<String> errors = run.output().lines().filter(line -> line.startsWith("error: ")).toList();
        assertEquals(1, errors.size(), run.output());
        System.out.println("refused: " + errors.get(0));
        assertTrue(errors.get(0).contains("format 1") && errors.get(0).contains("format 2"), errors.get(0));
    }

    private static Run run(Object main, Path data, String... extra) {
        int port = Ports.freePort();
        List<String> args = new ArrayList<>(List.of("--id", "n1", "--peers", "n1=127.0.0.1:" + port,
                "--listen", "127.0.0.1:" + port, "--data-dir", data.toString(),
                "--metrics-port", Integer.toString(Ports.freePort())));
        args.addAll(List.of(extra));
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        synchronized (FormatOneStartupTest.class) {
            try (PrintStream errors = new PrintStream(captured, true, StandardCharsets.UTF_8)) {
                System.setErr(errors);
                int code = Mains.execute(main, args.toArray(String[]::new));
                errors.flush();
                return new Run(code, captured.toString(StandardCharsets.UTF_8));
            } finally {
                System.setErr(err);
            }
        }
    }

    private static byte[] longBytes(long value) {
        return ByteBuffer.allocate(Long.BYTES).putLong(value).array();
    }
}
