package io.raftkv.raft.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.raftkv.proto.raft.ConfState;
import io.raftkv.proto.raft.Entry;
import io.raftkv.testkit.Eventually;
import io.raftkv.testkit.JvmProcess;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a process in the middle of heavy synced writes to its raft log (SIGKILL, several times, at random moments),
 * reopens the log, and checks that nothing acknowledged as synced was lost and nothing half-written appears.
 */
class LogCrashTest {
    private static final ConfState VOTERS = ConfState.newBuilder().addVoters("a").build();

    @TempDir
    Path dir;

    @Test
    void aKilledWriterLosesNothingItAcknowledged() throws Exception {
        Path db = dir.resolve("log");
        Random random = new Random(42);
        long previousSynced = 0;
        for (int round = 1; round <= 4; round++) {
            Path output = dir.resolve("writer-" + round + ".out");
            try (JvmProcess writer = JvmProcess.builder(LogWriterMain.class).name("writer-" + round)
                    .args(db.toString(), Long.toString(round)).log(output).start()) {
                int target = 50 + random.nextInt(150);
                Eventually.await("the writer syncs " + target + " batches", Duration.ofSeconds(60),
                        () -> countSynced(writer.output()) >= target);
                writer.kill();
                String out = writer.output();
                Map<Long, long[]> begun = new HashMap<>();
                long synced = 0;
                for (String line : out.lines().toList()) {
                    String[] f = line.split(" ");
                    if (f[0].equals("BEGIN") && f.length == 5) {
                        begun.put(Long.parseLong(f[1]), new long[] {Long.parseLong(f[2]), Long.parseLong(f[3]),
                                Long.parseLong(f[4])});
                    } else if (f[0].equals("SYNCED") && f.length == 2) {
                        synced = Math.max(synced, Long.parseLong(f[1]));
                    }
                }
                assertTrue(synced >= target, "the writer synced " + synced);
                try (RocksLogStorage log = RocksLogStorage.open(db, VOTERS)) {
                    long last = log.lastIndex();
                    long lastTerm = log.term(last);
                    long[] acked = begun.get(synced);
                    long[] inFlight = begun.get(synced + 1);
                    boolean isAcked = last == acked[0] && lastTerm == acked[1];
                    boolean isInFlight = inFlight != null && last == inFlight[0] && lastTerm == inFlight[1];
                    assertTrue(isAcked || isInFlight, "round " + round + ": the log ends at " + last + "/"
                            + lastTerm + " but the last synced write left " + acked[0] + "/" + acked[1]
                            + (inFlight == null ? "" : " and the next would leave " + inFlight[0] + "/"
                            + inFlight[1]));
                    long commit = log.initialState().hardState().getCommit();
                    assertEquals(isAcked ? acked[2] : inFlight[2], commit, "the hard state of the same write");
                    // Every entry is whole and is the one written at its (index, term).
                    long checked = 0;
                    for (long i = log.firstIndex(); i <= last; i += 512) {
                        List<Entry> batch = log.entries(i, Math.min(last + 1, i + 512), Long.MAX_VALUE);
                        for (Entry e : batch) {
                            assertEquals(LogWriterMain.entry(e.getIndex(), e.getTerm()), e,
                                    "entry " + e.getIndex());
                            checked++;
                        }
                    }
                    assertEquals(last - log.firstIndex() + 1, checked);
                    System.out.printf("round %d: killed after %d synced writes; log (%d, %d], %s%n", round, synced,
                            log.firstIndex() - 1, last, isAcked ? "as of the last synced write"
                                    : "including the write in flight");
                }
                previousSynced += synced;
            }
        }
        assertTrue(previousSynced > 0);
    }

    private static long countSynced(String output) {
        return output.lines().filter(l -> l.startsWith("SYNCED ")).count();
    }
}
